// The OpenTelemetry SDK set up to send span records: its batch processor (a bounded queue) and
// the official OTLP exporter (protobuf or JSON over HTTP, with its own retries and backoff).
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { SpanRecord } from './otlp-span.ts';

export interface SpanSinkConfig {
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  serviceName: string;
  version: string;
  maxQueueSize: number;
}

/** Told after each export: whether it worked, how many spans, and why not. */
export type ExportReport = (ok: boolean, spans: number, error: string | null) => void;

class ReportingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly report: ExportReport,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      this.report(result.code === ExportResultCode.SUCCESS, spans.length, result.error?.message ?? null);
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

export interface SpanSink {
  emit(record: SpanRecord): void;
  flush(): Promise<void>;
  shutdown(): Promise<void>;
}

export function createSpanSink(config: SpanSinkConfig, report: ExportReport): SpanSink {
  const options = { url: config.url, headers: config.headers, timeoutMillis: 10_000 };
  const exporter = new ReportingExporter(
    config.protocol === 'http/json' ? new JsonExporter(options) : new ProtoExporter(options),
    report,
  );
  const processor = new BatchSpanProcessor(exporter, {
    maxQueueSize: config.maxQueueSize,
    maxExportBatchSize: 512,
    scheduledDelayMillis: 500,
    exportTimeoutMillis: 15_000,
  });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.serviceName, 'service.version': config.version }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('wirelog', config.version);
  return {
    emit(record) {
      // The calls of a thread share one trace: a remote parent that carries its trace id.
      const parent = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: record.traceId,
        spanId: record.traceId.slice(0, 16),
        traceFlags: TraceFlags.SAMPLED,
        isRemote: true,
      });
      const span = tracer.startSpan(
        record.name,
        { kind: SpanKind.CLIENT, startTime: record.startMs, attributes: record.attributes },
        parent,
      );
      for (const event of record.events) span.addEvent(event.name, undefined, event.atMs);
      span.setStatus(
        record.status.error
          ? { code: SpanStatusCode.ERROR, message: record.status.message }
          : { code: SpanStatusCode.UNSET },
      );
      span.end(record.endMs);
    },
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
