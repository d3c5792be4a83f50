// A large body relayed through the proxy arrives as one Buffer per TLS record, whose bytes wait
// for V8 to collect the small object holding them (issue 28: the forwarding thread's malloc heap
// 9 -> 23-29 MB through bench/memory.ts's large bodies). The forwarding thread collects its young
// generation every few MB relayed (proxy/forward-garbage.ts): the bytes held outside V8's heap
// stay bounded however large the body, counted here at every chunk relayed, not timed. Stored
// bytes are kept for storage's sake until stored (db/writer.ts), so only the first MB is stored
// here: what is counted is the forwarding's own garbage.
import { afterEach, describe, expect, it } from 'vitest';
import { FORWARD_GARBAGE_BOUND, forwardGarbage } from '../proxy/forward-garbage.ts';
import { curl, startHarness, type Harness } from './support/harness.ts';

const MB = 1024 * 1024;
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe('relaying a large body', () => {
  it('holds a bounded number of chunk bytes awaiting collection, whatever the body size', async () => {
    h = await startHarness({ maxBodyMb: 1 });
    // Sampled as each chunk passes the recorder, in this thread: the client is curl (its own
    // process, writing to /dev/null) and the upstream sends views of one buffer.
    const samples: number[] = [];
    const add = forwardGarbage.add.bind(forwardGarbage);
    forwardGarbage.add = (bytes: number) => {
      samples.push(process.memoryUsage().arrayBuffers);
      add(bytes);
    };
    try {
      const size = 64 * MB;
      const before = process.memoryUsage().arrayBuffers;
      const run = await curl(h, [
        '-o',
        '/dev/null',
        '--write-out',
        '%{size_download}',
        `${h.upstream.httpsUrl}/bytes?size=${size}`,
      ]);
      expect(run.stderr).toBe('');
      expect(Number(run.stdout.toString())).toBe(size);
      expect(samples.length).toBeGreaterThan(1000);
      // Without the collections: 35 MB here (a young generation fills only after tens of MB of chunks).
      const held = Math.max(...samples) - before;
      expect(held).toBeLessThan(4 * FORWARD_GARBAGE_BOUND);
    } finally {
      forwardGarbage.add = add;
    }
  });
});
