// Starts the OTLP exporter's thread and the channel the storage worker posts spans on; what
// goes wrong there is said like a storage failure (console once, /api/status, the banner).
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { startTsWorker } from '../db/writer.ts';
import type { OtlpConfig } from './otlp-config.ts';
import type { FromOtlpWorker, OtlpWorkerData } from './otlp-worker.ts';
import { VERSION } from './version.ts';
import { t } from './language.ts';

export interface OtlpExport {
  /** The storage worker's end of the channel. */
  storagePort: MessagePort;
  state: { error: string | null; dropped: number };
  close(): Promise<void>;
}

export function startOtlpExport(config: OtlpConfig, say: (message: string) => void): OtlpExport {
  const { port1, port2 } = new MessageChannel();
  const file = new URL(import.meta.url.endsWith('.ts') ? './otlp-worker.ts' : './otlp-worker.js', import.meta.url);
  const data: OtlpWorkerData = {
    url: config.url,
    protocol: config.protocol,
    headers: config.headers,
    serviceName: config.serviceName,
    version: VERSION,
    maxQueue: config.maxQueue,
    spans: port2,
  };
  const worker = startTsWorker(file, data, [port2]);
  const state = { error: null as string | null, dropped: 0 };
  let closed: (() => void) | null = null;
  worker.on('message', (message: FromOtlpWorker) => {
    if (message.kind === 'failed') {
      state.error = t('commands.otlp.failed', { url: config.url, error: message.message, spans: message.spans });
      say(state.error);
    } else if (message.kind === 'recovered') {
      state.error = null;
      say(t('commands.otlp.recovered', { url: config.url }));
    } else if (message.kind === 'dropped') {
      state.dropped += message.spans;
      say(t('commands.otlp.dropped', { spans: message.spans, total: state.dropped }));
    } else if (message.kind === 'closed') closed?.();
  });
  worker.on('error', (err) => {
    state.error = t('commands.otlp.stopped', { error: err.message });
    say(state.error);
  });
  return {
    storagePort: port1,
    state,
    async close() {
      await new Promise<void>((resolve) => {
        closed = resolve;
        worker.postMessage({ kind: 'close' });
        setTimeout(resolve, 7000).unref();
      });
      await worker.terminate();
    },
  };
}
