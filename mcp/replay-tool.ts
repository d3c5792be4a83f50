// replay_call (only with --allow-replay): resends a captured call through the running wirelog's
// API, as `wirelog replay` does: the keys of recent requests are in that process's memory, and
// its replayer takes out of the replay every remembered secret whose origin is not the target's
// (replay/secret-guard.ts). This tool never gives the consent to send one elsewhere
// (sendSecretsTo): what was withheld is said in the answer.
import { z } from 'zod';
import { findInstance, type InstanceRecord } from '../cli/instance.ts';
import { cliLang, t } from '../cli/language.ts';
import { callId } from './arguments.ts';
import { ToolError, tool } from './tool.ts';

interface Detail {
  exchange: {
    id: number;
    state: string;
    error: string | null;
    response: { status: number; statusText: string } | null;
  };
  modelCall: { answer: { text: string; refusal: string } } | null;
  responseBody: { text: string | null };
  diagnoses: { severity: string; summary: string; fix: string }[];
}

async function api<T>(instance: InstanceRecord, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const origin = new URL(instance.viewerUrl!).origin;
  const headers = {
    origin,
    'content-type': 'application/json',
    'accept-language': cliLang(),
    ...(instance.viewerToken ? { authorization: `Bearer ${instance.viewerToken}` } : {}),
  };
  const res = await fetch(`${instance.viewerUrl}/api${route}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: (await res.json()) as T };
}

export const replayCall = tool({
  name: 'replay_call',
  description:
    "Send a captured call again through the running wirelog and return how it ended (status, the answer's first line, diagnoses). fix: true applies the fix the diagnosis proposes (a corrected URL, a model the provider lists...); url sends it to another URL. A key captured for one origin is never sent to another: it is left out, and the answer says so (withheld).",
  input: z.object({
    id: callId,
    fix: z.boolean().default(false).describe("Apply the diagnosis's fix"),
    url: z.string().url().optional().describe('Send to this URL instead'),
    timeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(600)
      .default(120)
      .describe('How long to wait for the answer, 1 to 600 s (default 120)'),
  }),
  async run({ id, fix, url, timeoutSeconds }, { database, allowReplay }) {
    if (!allowReplay) throw new ToolError(t('mcp.errors.replayOff'));
    const dataDir = database.dataDir;
    const instance = await findInstance(dataDir);
    if (!instance) throw new ToolError(t('mcp.errors.notRunning', { dataDir }));
    if (!instance.viewerUrl) throw new ToolError(t('mcp.errors.noViewer', { dataDir }));
    const sent = await api<{ id?: number; error?: string; withheld?: { message: string }[] }>(
      instance,
      `/exchanges/${id}/replay`,
      { ...(fix ? { fix: true } : {}), ...(url ? { url } : {}) },
    );
    if (sent.status === 404) throw new ToolError(t('mcp.errors.noExchange', { id }));
    if (sent.body.id === undefined)
      throw new ToolError(t('mcp.errors.replayFailed', { id, error: sent.body.error ?? `HTTP ${sent.status}` }));
    const deadline = Date.now() + timeoutSeconds * 1000;
    let detail: Detail;
    for (;;) {
      detail = (await api<Detail>(instance, `/exchanges/${sent.body.id}?lang=${cliLang()}`)).body;
      if (detail.exchange.state !== 'pending' && detail.exchange.state !== 'streaming') break;
      if (Date.now() > deadline)
        throw new ToolError(
          t('mcp.errors.replayTimeout', {
            id: sent.body.id,
            state: t(`format.state.${detail.exchange.state}`),
            seconds: timeoutSeconds,
          }),
        );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const answer =
      detail.modelCall?.answer.text ||
      detail.modelCall?.answer.refusal ||
      detail.responseBody.text ||
      detail.exchange.error ||
      '';
    return {
      id: detail.exchange.id,
      replayOf: id,
      status: detail.exchange.response?.status ?? null,
      state: detail.exchange.state,
      answer: answer.trim().split('\n')[0].slice(0, 500),
      withheld: (sent.body.withheld ?? []).map((w) => w.message),
      diagnoses: detail.diagnoses.map((d) => ({ severity: d.severity, summary: d.summary, fix: d.fix })),
    };
  },
});
