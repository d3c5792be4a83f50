// compare_with_working: a call beside the last call to the same host that worked (or another
// call), as the viewer's Compare shows it: request line, headers, keys (by fingerprint, never by
// value), JSON bodies path by path. Compared on a thread of its own with a bounded heap
// (db/compare-reader.ts): two large bodies never stall or exhaust the MCP server.
import { z } from 'zod';
import { compareOffThread, lastWorkingCall } from '../db/compare-reader.ts';
import { differenceLine, type BodyComparison, type Comparison } from '../model/exchange-diff.ts';
import { t } from '../cli/language.ts';
import { callId } from './arguments.ts';
import { ToolError, tool } from './tool.ts';

/** A body comparison with at most `max` JSON differences listed. */
function bodyPart(body: BodyComparison, max: number) {
  if (body.kind !== 'json' || body.differences.length <= max) return body;
  return { ...body, differences: body.differences.slice(0, max), truncated: true, more: body.differences.length - max };
}

export const compareWithWorking = tool({
  name: 'compare_with_working',
  description:
    'Compare a captured call with the last call to the same host that worked (2xx, complete), or with another call (withId): what differs in the URL, headers, the key sent (same key or not, never its value), the JSON request body path by path (model, parameters), and the response. Use it when a call fails and a similar one worked.',
  input: z.object({
    id: callId,
    withId: callId.optional().describe('Compare with this call instead of the last that worked'),
    maxDifferences: z
      .number()
      .int()
      .min(1)
      .max(300)
      .default(40)
      .describe('Body differences to list at most, 1 to 300 (default 40)'),
  }),
  async run({ id, withId, maxDifferences }, { database }) {
    const { reader } = database.open();
    const [a, b] = database.read(() => {
      const failed = reader.get(id);
      if (!failed) throw new ToolError(t('mcp.errors.noExchange', { id }));
      const other = withId === undefined ? lastWorkingCall(reader, failed) : reader.get(withId);
      if (!other)
        throw new ToolError(
          withId === undefined
            ? t('mcp.errors.noWorking', { id, host: failed.request.host })
            : t('mcp.errors.noExchange', { id: withId }),
        );
      for (const e of [failed, other])
        if (e.damaged)
          throw new ToolError(t('mcp.errors.damagedCompared', { id: e.id, reasons: e.damaged.join('; ') }));
      return [failed, other];
    });
    const answer = await compareOffThread(reader, a.id, b.id);
    const parsed = JSON.parse(answer.json) as Comparison & { error?: string };
    if (answer.status !== 200)
      throw new ToolError(t('mcp.errors.compareFailed', { id, error: parsed.error ?? `status ${answer.status}` }));
    return {
      a: { id: a.id, request: parsed.request.a, status: parsed.response.a },
      b: {
        id: b.id,
        request: parsed.request.b,
        status: parsed.response.b,
        ...(withId === undefined ? { lastThatWorked: true } : {}),
      },
      summary: differenceLine(a, b, parsed),
      sameRequestLine: parsed.request.same,
      requestHeaders: parsed.requestHeaders,
      keys: parsed.secrets,
      requestBody: bodyPart(parsed.requestBody, maxDifferences),
      responseHeaders: parsed.responseHeaders,
      responseBody: bodyPart(parsed.responseBody, maxDifferences),
    };
  },
});
