// `wirelog export --otlp`: what is already stored, sent as spans (for a backend added later),
// with progress on the terminal.
import type { ExchangeReader } from '../db/reader.ts';
import { createSpanSink } from '../export/otlp-sdk.ts';
import { spanOf } from '../export/otlp-span.ts';
import { worst } from '../llm/diagnose.ts';
import { diagnosesOf, modelCallOf } from '../llm/stored-calls.ts';
import type { OtlpConfig } from './otlp-config.ts';
import { VERSION } from './version.ts';
import { t } from './language.ts';

const PAGE = 500;

export async function exportOtlp(
  reader: ExchangeReader,
  config: OtlpConfig,
  since: number | undefined,
  host: string | undefined,
  say: (line: string) => void,
): Promise<{ sent: number; failed: number }> {
  let failed = 0;
  let lastError: string | null = null;
  const sink = createSpanSink({ ...config, version: VERSION, maxQueueSize: PAGE * 4 }, (ok, spans, error) => {
    if (ok) return;
    failed += spans;
    if (error !== lastError)
      say(
        `wirelog: ${t('commands.export.collectorRefused', { spans, error: error ?? t('commands.export.noReason') })}`,
      );
    lastError = error;
  });
  let sent = 0;
  const total = reader.count({ since, host });
  for (let after = 0; ; ) {
    const rows = reader.list({ since, host, after, limit: PAGE });
    for (const exchange of rows) {
      const call = modelCallOf(reader, exchange);
      sink.emit(
        spanOf(exchange, call, worst(diagnosesOf(reader, exchange, call)), exchange.call?.threadKey ?? null, {
          content: config.content,
        }),
      );
    }
    sent += rows.length;
    // One page in flight at a time: the queue never overflows, and progress is real.
    // A failed export is counted by the report above; flushing only waits for it.
    await sink.flush().catch(() => undefined);
    if (rows.length) say(`wirelog: ${t('commands.export.progress', { sent, total, url: config.url })}`);
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1].id;
  }
  await sink.shutdown().catch(() => undefined);
  return { sent, failed };
}
