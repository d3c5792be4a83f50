// The viewer's download of a session (issue 27): GET /api/sessions/KEY/export?format=html|markdown
// answers one self-contained HTML page or a Markdown transcript as an attachment, made on a thread
// of its own (export/session-export-thread.ts) and streamed as it is made. Mounted by
// viewer/sessions-api.ts.
import { zValidator } from '@hono/zod-validator';
import { Hono, type Context } from 'hono';
import { stream } from 'hono/streaming';
import { z } from 'zod';
import type { ExchangeReader } from '../db/reader.ts';
import type { Language } from '../i18n/languages.ts';
import { exportOffThread, type SessionExportMessage } from '../export/session-export-thread.ts';

const keyParam = z.object({ key: z.string().min(1).max(200) });
const exportQuery = z.object({ format: z.enum(['html', 'markdown']).default('html') });

const TYPES = { html: 'text/html; charset=utf-8', markdown: 'text/markdown; charset=utf-8' } as const;
const EXTENSIONS = { html: 'html', markdown: 'md' } as const;

/** A file name any browser and file system takes: the key's letters and digits, the rest as '_'. */
export const exportFileName = (key: string, format: keyof typeof EXTENSIONS): string =>
  `wirelog-${key.replace(/[^\w.-]+/g, '_').slice(0, 80)}.${EXTENSIONS[format]}`;

export function createSessionExportApi(
  reader: ExchangeReader,
  languageOf: (c: Context) => Language,
  badRequest: (result: { success: boolean; error?: z.ZodError }, c: Context) => Response | undefined,
): Hono {
  const api = new Hono();
  api.get(
    '/:key/export',
    zValidator('param', keyParam, badRequest),
    zValidator('query', exportQuery, badRequest),
    async (c) => {
      const { key } = c.req.valid('param');
      const { format } = c.req.valid('query');
      // The first message says whether there is a session to export; the rest is the page, streamed.
      const queue: SessionExportMessage[] = [];
      let wake: (() => void) | null = null;
      const running = exportOffThread(
        reader,
        { key, format, lang: languageOf(c), exportedAt: Date.now() },
        (message) => {
          queue.push(message);
          wake?.();
        },
      );
      const next = async (): Promise<SessionExportMessage> => {
        while (!queue.length) await new Promise<void>((resolve) => (wake = resolve));
        return queue.shift()!;
      };
      const first = await next();
      if (first.type === 'refused') return c.json({ error: first.error }, 404);
      if (first.type === 'failed') return c.json({ error: first.error }, 500);
      c.header('content-type', TYPES[format]);
      c.header('content-disposition', `attachment; filename="${exportFileName(key, format)}"`);
      // The page is the user's to open: nothing of this origin's runs in it, whatever it holds.
      c.header('content-security-policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'");
      c.header('x-content-type-options', 'nosniff');
      return stream(c, async (out) => {
        for (;;) {
          const message = await next();
          if (message.type === 'chunk') await out.write(message.text);
          // A failure after the first piece cannot change the status: the file says where it stopped.
          else if (message.type === 'failed')
            await out.write(
              format === 'html' ? `\n<p>${message.error.replace(/[&<>"']/g, '_')}</p>\n` : `\n\n> ${message.error}\n`,
            );
          if (message.type === 'end' || message.type === 'failed') break;
        }
        await running;
      });
    },
  );
  return api;
}
