// `wirelog replay`: asks the running wirelog to resend an exchange (through its own proxy,
// where the secrets of recent requests are in memory), then waits for the answer.
import fs from 'node:fs';
import type { ClientConfig } from '../llm/working-config.ts';
import type { Header } from '../model/exchange.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { findInstance, prepareDataDir, type InstanceRecord } from './instance.ts';
import { cliLang, t } from './language.ts';
import { localized } from '../i18n/stored-text.ts';

export const replayHelp = () => t('commands.replay.help');

interface Withheld {
  message: string;
}

interface Detail {
  exchange: {
    id: number;
    state: string;
    error: string | null;
    request: { headers: Header[]; replayOf?: number };
    response: { status: number; statusText: string } | null;
  };
  modelCall: { answer: { text: string; refusal: string } } | null;
  responseBody: { text: string | null };
  diagnoses: { severity: string; summary: string; fix: string }[];
  /** What to type into each client, for a call that worked (llm/working-config.ts). */
  clientConfig: ClientConfig | null;
}

/**
 * The settings that just worked, for the client that sent the call first: Cherry Studio's API
 * address for a Cherry Studio call, else Codex's provider block (its base_url in the form the
 * original call came: the gateway form for a gateway call).
 */
export function workedBlock(config: ClientConfig): string[] {
  const codex = config.codex
    ? [
        t('commands.replay.forCodex'),
        ...config.codex.toml.split('\n').map((l) => `    ${l}`),
        ...config.codex.notes.map((n) => `    # ${localized(n, cliLang())}`),
      ]
    : [];
  const cherry = config.cherryStudio
    ? [
        t('commands.replay.forCherry', {
          providerType: config.cherryStudio.providerType,
          address: config.cherryStudio.apiAddress,
        }),
      ]
    : [];
  return config.client.kind === 'cherry-studio' ? [...cherry, ...codex] : [...codex, ...cherry];
}

function parseHeader(text: string): Header {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError(t('commands.replay.header', { value: text }));
  return [text.slice(0, colon).trim(), text.slice(colon + 1).trim()];
}

/** The stored headers with --remove-header and --header applied, in order. */
export function editedHeaders(stored: Header[], set: Header[], remove: string[]): Header[] {
  const drop = new Set([...remove, ...set.map(([n]) => n)].map((n) => n.toLowerCase()));
  return [...stored.filter(([n]) => !drop.has(n.toLowerCase())), ...set];
}

class Api {
  constructor(private readonly instance: InstanceRecord) {}

  private headers(): Record<string, string> {
    const origin = new URL(this.instance.viewerUrl!).origin;
    // The API answers (its refusals, the diagnoses) in the CLI's language.
    return {
      origin,
      'content-type': 'application/json',
      'accept-language': cliLang(),
      ...(this.instance.viewerToken ? { authorization: `Bearer ${this.instance.viewerToken}` } : {}),
    };
  }

  async get<T>(route: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.instance.viewerUrl}/api${route}`, {
      headers: this.headers(),
      signal: AbortSignal.timeout(30_000),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  async post<T>(route: string, body: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.instance.viewerUrl}/api${route}`, {
      method: 'POST',
      headers: this.headers(),
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    return { status: res.status, body: (await res.json()) as T };
  }
}

function firstLine(detail: Detail): string {
  const text =
    detail.modelCall?.answer.text ||
    detail.modelCall?.answer.refusal ||
    detail.responseBody.text ||
    detail.exchange.error ||
    '';
  return text.trim().split('\n')[0].slice(0, 200);
}

export async function replayCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    'replay',
    args,
    {
      'data-dir': { type: 'string' },
      url: { type: 'string' },
      method: { type: 'string' },
      header: { type: 'string', multiple: true },
      'remove-header': { type: 'string', multiple: true },
      'body-file': { type: 'string' },
      fix: { type: 'boolean' },
      'send-secrets-to': { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
    },
    true,
  );
  if (positionals.length !== 1 || !/^\d+$/.test(positionals[0])) throw new UsageError(t('commands.replay.oneId'));
  const timeoutS = values.timeout === undefined ? 300 : Number(values.timeout);
  if (!(timeoutS > 0)) throw new UsageError(t('commands.replay.timeout', { value: values.timeout }));
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  const instance = await findInstance(dataDir);
  if (!instance) throw new UsageError(t('commands.replay.notRunning', { dataDir }));
  if (!instance.viewerUrl) throw new UsageError(t('commands.replay.noViewer', { dataDir }));
  const api = new Api(instance);
  const id = Number(positionals[0]);
  const original = await api.get<Detail & { error?: string }>(`/exchanges/${id}`);
  if (original.status === 404) throw new UsageError(t('commands.dataDir.noExchange', { id, dataDir }));
  const set = (values.header ?? []).map(parseHeader);
  const remove = values['remove-header'] ?? [];
  const edits: Record<string, unknown> = {
    ...(values.url ? { url: values.url } : {}),
    ...(values.method ? { method: values.method } : {}),
    ...(set.length || remove.length
      ? { headers: editedHeaders(original.body.exchange.request.headers, set, remove) }
      : {}),
    ...(values['body-file'] ? { body: readBody(values['body-file']), bodyEncoding: 'base64' } : {}),
    ...(values.fix ? { fix: true } : {}),
    ...(values['send-secrets-to'] !== undefined ? { sendSecretsTo: values['send-secrets-to'] } : {}),
  };
  const sent = await api.post<{ id?: number; error?: string; withheld?: Withheld[] }>(`/exchanges/${id}/replay`, edits);
  if (sent.body.id === undefined) {
    console.error(`wirelog: ${t('commands.replay.cannot', { id, error: sent.body.error ?? `HTTP ${sent.status}` })}`);
    return 1;
  }
  // --json keeps the diagnoses in English, for scripts.
  const detail = await waitForEnd(api, sent.body.id, timeoutS, values.json ? 'en' : cliLang());
  const status = detail.exchange.response?.status ?? null;
  const withheld = sent.body.withheld ?? [];
  if (values.json) {
    console.log(
      JSON.stringify(
        {
          id: detail.exchange.id,
          replayOf: id,
          status,
          state: detail.exchange.state,
          answer: firstLine(detail),
          diagnoses: detail.diagnoses,
          withheld,
          clientConfig: detail.clientConfig ?? null,
        },
        null,
        2,
      ),
    );
  } else {
    const reason = detail.exchange.response
      ? `${status} ${detail.exchange.response.statusText}`.trim()
      : detail.exchange.state.replace('_', ' ');
    console.log(
      t('commands.replay.result', {
        id: detail.exchange.id,
        reason,
        original: id,
        answer: firstLine(detail),
      }).trimEnd(),
    );
    // Said before the diagnoses: a 401 from the other host is explained by what was left out.
    for (const w of withheld) console.log(t('commands.replay.withheld', { message: w.message }));
    for (const d of detail.diagnoses)
      console.log(
        `  [${t(`commands.doctor.severity.${d.severity}`)}] ${d.summary}\n${t('commands.doctor.fix', { fix: d.fix })}`,
      );
    if (values.fix && detail.clientConfig) for (const line of workedBlock(detail.clientConfig)) console.log(line);
  }
  return status !== null && status >= 200 && status < 300 && detail.exchange.state === 'complete' ? 0 : 1;
}

function readBody(file: string): string {
  try {
    return fs.readFileSync(file).toString('base64');
  } catch (err) {
    throw new UsageError(
      t('commands.replay.bodyFile', { file, error: (err as NodeJS.ErrnoException).code ?? (err as Error).message }),
    );
  }
}

async function waitForEnd(api: Api, id: number, timeoutS: number, lang: string): Promise<Detail> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const { body } = await api.get<Detail>(`/exchanges/${id}?lang=${lang}`);
    if (body.exchange.state !== 'pending' && body.exchange.state !== 'streaming') return body;
    if (Date.now() > deadline)
      throw new UsageError(
        t('commands.replay.stillRunning', { id, state: t(`format.state.${body.exchange.state}`), seconds: timeoutS }),
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
