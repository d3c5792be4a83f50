// POST /api/exchanges/:id/replay: sends a stored request again through the proxy, as it was,
// edited, or with the fix its diagnosis proposes. Only from the viewer's own page; a damaged row
// is not replayed.
import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { z } from 'zod';
import { bodyView } from '../../db/body-view.ts';
import type { ExchangeReader } from '../../db/reader.ts';
import { localized } from '../../i18n/stored-text.ts';
import { diagnosesOf, modelCallOf } from '../../llm/stored-calls.ts';
import { fixEdits } from '../../replay/fix.ts';
import type { Replayer } from '../../replay/replayer.ts';
import { ReplayRefused } from '../../replay/request.ts';
import type { ReplayAnswer, ReplayRefusedAnswer } from '../contract.ts';
import { replayAnswerIn } from './in-language.ts';
import { badRequest, refusal, refuseDamaged, requestLanguage, sameOrigin, type OwnOrigins } from './shared.ts';

const idParam = z.object({ id: z.coerce.number().int().positive() });
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const replayBody = z
  .object({
    url: z.string().min(1).max(16_384).optional(),
    method: z
      .string()
      .regex(/^[A-Za-z]+$/, 'fixMethod')
      .optional(),
    headers: z
      .array(
        z.tuple([
          z.string().regex(HEADER_NAME, 'fixHeaderName'),
          z
            .string()
            .max(65_536)
            .regex(/^[^\r\n\0]*$/, 'fixHeaderValue'),
        ]),
      )
      .max(2000)
      .optional(),
    body: z
      .string()
      .max(128 * 1024 * 1024)
      .optional(),
    bodyEncoding: z.enum(['utf8', 'base64']).optional(),
    /** Apply the fix the exchange's diagnosis proposes (its `action`). */
    fix: z.boolean().optional(),
    /** HOST[:PORT]: consent to send secrets captured for another origin to this replay's target, which it must name. */
    sendSecretsTo: z.string().min(1).max(300).optional(),
  })
  .strict();

/** Mounted under /exchanges. `replayer` absent: nothing may be sent from here (501). */
export function createReplayApi(reader: ExchangeReader, replayer: Replayer | undefined, ownOrigins: OwnOrigins): Hono {
  return new Hono().post(
    '/:id/replay',
    zValidator('param', idParam, badRequest),
    zValidator('json', replayBody, badRequest),
    async (c) => {
      if (!sameOrigin(c, ownOrigins(c))) return c.json({ error: refusal(c, 'replayOwnOnly') }, 403);
      const exchange = reader.get(c.req.valid('param').id);
      if (!exchange) return c.json({ error: refusal(c, 'noExchange') }, 404);
      const damaged = refuseDamaged(c, exchange, 'replayed');
      if (damaged) return damaged;
      if (!replayer) return c.json({ error: refusal(c, 'noReplays') }, 501);
      const { fix, ...edits } = c.req.valid('json');
      try {
        const lang = requestLanguage(c);
        if (!fix) return c.json(replayAnswerIn(await replayer.replay(exchange, edits), lang) satisfies ReplayAnswer);
        const body = bodyView(reader, exchange, 'request');
        const diagnosis = diagnosesOf(
          reader,
          exchange,
          modelCallOf(reader, exchange),
          bodyView(reader, exchange, 'response').text,
        ).find((d) => d.action);
        if (!diagnosis?.action) return c.json({ error: refusal(c, 'noFix', { id: exchange.id }) }, 409);
        const fixed = fixEdits(exchange, diagnosis.action, edits, {
          bodyText: body.text,
          workingKey: (name, target) => replayer.workingKey(target, name),
        });
        return c.json({
          ...replayAnswerIn(await replayer.replay(exchange, fixed), lang),
          rule: diagnosis.rule,
          action: diagnosis.action,
        } satisfies ReplayAnswer);
      } catch (err) {
        if (err instanceof ReplayRefused)
          return c.json(
            {
              error: localized(err.message, requestLanguage(c)),
              missingSecrets: err.missingSecrets,
            } satisfies ReplayRefusedAnswer,
            409,
          );
        throw err;
      }
    },
  );
}
