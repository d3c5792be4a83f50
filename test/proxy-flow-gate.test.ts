// proxy/flow-gate.ts: a body's source flows only while nothing it feeds asks it to wait. Node's
// stream contract (https://nodejs.org/api/stream.html): write() returns false once the
// destination's buffer reaches its highWaterMark, and 'drain' says when to write again; pause()
// and resume() switch a Readable out of and into flowing. stream.pipe resumes on the
// destination's drain alone, which would override storage's hold: the gate resumes only when
// every hold is released.
import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FlowGate } from '../proxy/flow-gate.ts';

/** A source in flowing mode, as a request or response body is while it is relayed. */
function flowingSource(): Readable {
  const source = new Readable({ read() {} });
  source.on('data', () => undefined);
  return source;
}

/** A destination whose writes complete only when the test says (a slow client). */
function slowDestination(highWaterMark: number) {
  const pending: (() => void)[] = [];
  const destination = new Writable({
    highWaterMark,
    write(_chunk, _encoding, done) {
      pending.push(() => done());
    },
  });
  return { destination, completeWrites: () => pending.splice(0).forEach((done) => done()) };
}

describe('holds', () => {
  it('one hold pauses the source; its release resumes it', () => {
    const source = flowingSource();
    const gate = new FlowGate(source);
    gate.hold('storage');
    expect(source.isPaused()).toBe(true);
    gate.release('storage');
    expect(source.isPaused()).toBe(false);
  });

  it('with two holds, releasing one keeps the source paused; releasing both resumes it', () => {
    const source = flowingSource();
    const gate = new FlowGate(source);
    gate.hold('storage');
    gate.hold('destination');
    gate.release('destination');
    expect(source.isPaused()).toBe(true);
    gate.release('storage');
    expect(source.isPaused()).toBe(false);
  });

  it('releasing what was not held resumes nothing (a drain does not override storage)', () => {
    const source = flowingSource();
    const gate = new FlowGate(source);
    gate.hold('storage');
    gate.release('destination');
    expect(source.isPaused()).toBe(true);
  });

  it('the same hold twice is one hold', () => {
    const source = flowingSource();
    const gate = new FlowGate(source);
    gate.hold('storage');
    gate.hold('storage');
    gate.release('storage');
    expect(source.isPaused()).toBe(false);
  });
});

describe('writing to a destination', () => {
  it('below its high-water mark the source keeps flowing', () => {
    const source = flowingSource();
    const { destination } = slowDestination(1024);
    new FlowGate(source).writeTo(destination, Buffer.alloc(10));
    expect(source.isPaused()).toBe(false);
  });

  it('a full destination holds the source until it drains', async () => {
    const source = flowingSource();
    const { destination, completeWrites } = slowDestination(4);
    const gate = new FlowGate(source);
    gate.writeTo(destination, Buffer.alloc(8));
    expect(source.isPaused()).toBe(true);
    const drained = once(destination, 'drain');
    completeWrites();
    await drained;
    expect(source.isPaused()).toBe(false);
  });

  it('chunks written while it is full wait for the one drain, not one each', async () => {
    const source = flowingSource();
    const { destination, completeWrites } = slowDestination(4);
    const gate = new FlowGate(source);
    gate.writeTo(destination, Buffer.alloc(8));
    gate.writeTo(destination, Buffer.alloc(8));
    gate.writeTo(destination, Buffer.alloc(8));
    expect(destination.listenerCount('drain')).toBe(1);
    const drained = once(destination, 'drain');
    // Completing the first write starts the next buffered one: all three, one after another.
    for (let i = 0; i < 3; i++) {
      completeWrites();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await drained;
    expect(source.isPaused()).toBe(false);
  });

  it('a drain while storage still holds keeps the source paused', async () => {
    const source = flowingSource();
    const { destination, completeWrites } = slowDestination(4);
    const gate = new FlowGate(source);
    gate.writeTo(destination, Buffer.alloc(8));
    gate.hold('storage');
    const drained = once(destination, 'drain');
    completeWrites();
    await drained;
    expect(source.isPaused()).toBe(true);
    gate.release('storage');
    expect(source.isPaused()).toBe(false);
  });
});
