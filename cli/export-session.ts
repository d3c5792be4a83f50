// `wirelog export --html FILE` and `--markdown FILE` (issue 27): one agent session (--session ID,
// else the most recent) as a self-contained HTML page or a Markdown transcript, written turn by
// turn with backpressure, in the CLI's language. A session that is not stored is a one-line error.
import fs from 'node:fs';
import { once } from 'node:events';
import type { ExchangeReader } from '../db/reader.ts';
import { resolveSessionKey, SessionExportError, writeSession, type SessionRenderer } from '../export/session-export.ts';
import { SessionHtml } from '../export/session-html.ts';
import { SessionMarkdown } from '../export/session-markdown.ts';
import { UsageError } from './args.ts';
import { cliLang, t } from './language.ts';
import { VERSION } from './version.ts';

/** The session `--session` names (or the most recent), or a one-line error naming the cause and the fix. */
export function sessionKeyOrRefuse(reader: ExchangeReader, session: string | undefined): string {
  try {
    return resolveSessionKey(reader, session);
  } catch (err) {
    if (err instanceof SessionExportError) throw new UsageError(t(`sessionExport.cli.${err.reason}`, err.params));
    throw err;
  }
}

async function writeTo(file: string, reader: ExchangeReader, key: string, renderer: SessionRenderer): Promise<number> {
  const out = file === '-' ? process.stdout : fs.createWriteStream(file, { mode: 0o600 });
  const turns = await writeSession(reader, key, renderer, async (text) => {
    if (text && !out.write(text)) await once(out, 'drain');
  });
  if (out !== process.stdout) {
    out.end();
    await once(out, 'finish');
    console.error(`wirelog: ${t('sessionExport.cli.wrote', { key, count: turns, file })}`);
  }
  return turns;
}

export async function exportSessionCommand(
  reader: ExchangeReader,
  values: { html?: string; markdown?: string; session?: string },
): Promise<number> {
  const key = sessionKeyOrRefuse(reader, values.session);
  const at = Date.now();
  if (values.html) await writeTo(values.html, reader, key, new SessionHtml(t, cliLang(), VERSION, at));
  if (values.markdown) await writeTo(values.markdown, reader, key, new SessionMarkdown(t, cliLang(), VERSION, at));
  return 0;
}
