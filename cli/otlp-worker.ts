// The OTLP exporter's own thread: span records arrive from the storage worker on a
// MessagePort and go to the OpenTelemetry SDK (export/otlp-sdk.ts). A backend that is down or
// slow holds up only this thread; what it cannot queue is counted and said.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { createSpanSink } from '../export/otlp-sdk.ts';
import type { SpanRecord } from '../export/otlp-span.ts';

export interface OtlpWorkerData {
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  serviceName: string;
  version: string;
  maxQueue: number;
  spans: MessagePort;
}

export type FromOtlpWorker =
  | { kind: 'failed'; message: string; spans: number }
  | { kind: 'recovered' }
  | { kind: 'dropped'; spans: number }
  | { kind: 'closed' };

const data = workerData as OtlpWorkerData;
const post = (message: FromOtlpWorker) => parentPort!.postMessage(message);
// The SDK's queue, counted here: spans handed to it and not yet exported (or refused). When it
// is full, as when a collector is down for long, a span is left out here, counted and said,
// rather than silently by the SDK.
const MAX_QUEUE = data.maxQueue;

let failing = false;
let queued = 0;
let dropped = 0;
const sink = createSpanSink({ ...data, maxQueueSize: MAX_QUEUE }, (ok, spans, error) => {
  queued = Math.max(0, queued - spans);
  if (ok && failing) post({ kind: 'recovered' });
  if (!ok && !failing) post({ kind: 'failed', message: error ?? 'the backend refused the spans', spans });
  failing = !ok;
});

data.spans.on('message', (record: SpanRecord) => {
  if (queued >= MAX_QUEUE) {
    dropped++;
    return;
  }
  queued++;
  sink.emit(record);
});

setInterval(() => {
  if (dropped) post({ kind: 'dropped', spans: dropped });
  dropped = 0;
}, 1000).unref();

parentPort!.on('message', async (message: { kind: 'close' }) => {
  if (message.kind !== 'close') return;
  data.spans.close();
  await Promise.race([sink.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
  post({ kind: 'closed' });
});
