// The storage worker as wirelog runs it: db/'s writer thread, understanding each finished
// exchange with llm/ (model-call columns, thread, diagnosis), so that db/ needs no llm/; and,
// with --otlp-endpoint, handing each one as a span to the exporter's thread.
import { workerData, type MessagePort } from 'node:worker_threads';
import { setUnderstanding } from '../db/writer-worker.ts';
import { spanOf } from '../export/otlp-span.ts';
import { analyzeEnded } from '../llm/stored-calls.ts';

const { spans, spanContent } = workerData as { spans?: MessagePort; spanContent?: boolean };

setUnderstanding((exchange, bodies, context) => {
  const analysis = analyzeEnded(exchange, bodies, context);
  // Posting is all this thread does for export: encoding and sending are the exporter thread's.
  if (spans)
    spans.postMessage(
      spanOf(exchange, analysis.call, analysis.worst, analysis.facts?.threadKey ?? null, {
        content: spanContent ?? false,
      }),
    );
  return analysis.facts;
});
