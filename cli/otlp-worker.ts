// The OTLP exporter's own thread: span records arrive from the storage worker on a
// MessagePort, the OpenTelemetry SDK batches them (a bounded queue) and its OTLP exporter
// sends them, retrying with backoff. A backend that is down or slow holds up only this thread.
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { SpanRecord } from '../export/otlp-span.ts';

export interface OtlpWorkerData {
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  serviceName: string;
  version: string;
  spans: MessagePort;
}

export type FromOtlpWorker = { kind: 'failed'; message: string; spans: number } | { kind: 'recovered' } | { kind: 'dropped'; spans: number } | { kind: 'closed' };

const data = workerData as OtlpWorkerData;
const post = (message: FromOtlpWorker) => parentPort!.postMessage(message);
const MAX_QUEUE = 4096;

/** Reports each failed export (once until one succeeds again) to the main thread. */
class ReportingExporter implements SpanExporter {
  private failing = false;
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.failing) post({ kind: 'recovered' });
        this.failing = false;
      } else {
        if (!this.failing) post({ kind: 'failed', message: result.error?.message ?? 'the backend refused the spans', spans: spans.length });
        this.failing = true;
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

const options = { url: data.url, headers: data.headers, timeoutMillis: 10_000 };
const exporter = new ReportingExporter(data.protocol === 'http/json' ? new JsonExporter(options) : new ProtoExporter(options));
const processor = new BatchSpanProcessor(exporter, { maxQueueSize: MAX_QUEUE, maxExportBatchSize: 512, scheduledDelayMillis: 500, exportTimeoutMillis: 15_000 });
const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': data.serviceName, 'service.version': data.version }), spanProcessors: [processor] });
const tracer = provider.getTracer('wirelog', data.version);

let pending = 0;
let dropped = 0;

function emit(record: SpanRecord): void {
  // The thread's spans share one trace: a remote parent that carries its trace id.
  const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: record.traceId, spanId: record.traceId.slice(0, 16), traceFlags: TraceFlags.SAMPLED, isRemote: true });
  const span = tracer.startSpan(record.name, { kind: SpanKind.CLIENT, startTime: record.startMs, attributes: record.attributes }, parent);
  for (const event of record.events) span.addEvent(event.name, undefined, event.atMs);
  span.setStatus(record.status.error ? { code: SpanStatusCode.ERROR, message: record.status.message } : { code: SpanStatusCode.UNSET });
  span.end(record.endMs);
}

data.spans.on('message', (record: SpanRecord) => {
  // The SDK's queue drops silently when full: counted here, said once per burst.
  if (pending >= MAX_QUEUE) {
    dropped++;
    return;
  }
  pending++;
  emit(record);
});

setInterval(() => {
  pending = 0;
  if (dropped) post({ kind: 'dropped', spans: dropped });
  dropped = 0;
}, 1000).unref();

parentPort!.on('message', async (message: { kind: 'close' }) => {
  if (message.kind !== 'close') return;
  data.spans.close();
  await Promise.race([provider.shutdown().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
  post({ kind: 'closed' });
});
