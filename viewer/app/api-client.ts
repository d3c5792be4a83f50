// The viewer's side of the JSON API (viewer/api-app.ts); types come from the shared model.
import type { BodyView } from '../../db/body-view.ts';
import type { ExchangeFilter } from '../../db/reader.ts';
import type { Exchange, ExchangeState, SseEvent } from '../../model/exchange.ts';
import type { ExchangeSummary } from '../../model/summary.ts';
import type { Diagnosis } from '../../llm/diagnose.ts';
import type { ModelCall } from '../../llm/model-call.ts';
import type { ViewerStatus } from '../api-app.ts';
import type {
  ExchangeDetail,
  ExchangeListAnswer,
  ImportAnswer,
  ImportLine,
  StreamEvents,
  WsMessageView,
} from '../contract.ts';
import type { ImportProgress } from '../../export/har-stream.ts';
import type { ClientConfig } from '../../llm/working-config.ts';
import type { Comparison } from '../../model/exchange-diff.ts';
import type { Header } from '../../model/exchange.ts';
import type { WithheldSecret } from '../../replay/secret-guard.ts';
import { exchangesUrl, getJson, query } from './api-get.ts';
import { i18n } from './i18n.ts';

export type { ExchangeDetail, StreamEvents, WithheldSecret, WsMessageView };
export type {
  BodyView,
  ClientConfig,
  Comparison,
  Diagnosis,
  Exchange,
  ExchangeState,
  ExchangeSummary,
  Header,
  ModelCall,
  SseEvent,
  ViewerStatus,
};

/** The list's filters and sort, as the API takes them (`q` is the full-text search). */
export type ListFilter = Pick<
  ExchangeFilter,
  'host' | 'method' | 'status' | 'state' | 'model' | 'dialect' | 'thread' | 'sort'
> & { q?: string };

export interface ReplayBody {
  url?: string;
  method?: string;
  headers?: Header[];
  body?: string;
  fix?: boolean;
  /** HOST:PORT the user confirmed: the keys captured for another origin may go there (never from HTTPS to HTTP). */
  sendSecretsTo?: string;
}

export type ReplayResult =
  | { id: number; withheld: WithheldSecret[]; error?: undefined; missingSecrets?: undefined }
  | { id?: undefined; error: string; missingSecrets: string[] };

/** Never throws: a failure comes back as its error, with the secrets the user must type in. */
export async function replayExchange(id: number, body: ReplayBody): Promise<ReplayResult> {
  let res: Response;
  let answer: { id?: number; error?: string; missingSecrets?: string[]; withheld?: WithheldSecret[] };
  try {
    res = await fetch(`/api/exchanges/${id}/replay${query({ lang: i18n.language })}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    answer = (await res.json()) as typeof answer;
  } catch (err) {
    return { error: i18n.t('server.api.replayNotAsked', { error: (err as Error).message }), missingSecrets: [] };
  }
  if (answer.id !== undefined) return { id: answer.id, withheld: answer.withheld ?? [] };
  return { error: answer.error ?? `${res.status} ${res.statusText}`, missingSecrets: answer.missingSecrets ?? [] };
}

export type { ImportProgress };

/** Uploads a HAR and follows the import line by line (progress, then the outcome); throws its error. */
export async function importHar(file: File, onProgress: (progress: ImportProgress) => void): Promise<ImportAnswer> {
  const res = await fetch(`/api/import${query({ name: file.name, lang: i18n.language })}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
    body: file,
  });
  if (!res.ok || !res.body)
    throw new Error(
      ((await res.json().catch(() => ({}))) as { error?: string }).error ?? `${res.status} ${res.statusText}`,
    );
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const text of lines) {
      if (!text) continue;
      const line = JSON.parse(text) as ImportLine;
      if ('progress' in line) onProgress(line.progress);
      else if ('error' in line) throw new Error(line.error);
      else return line.done;
    }
  }
  throw new Error(i18n.t('server.api.importNoEnd'));
}

export type SnippetTarget = 'curl' | 'fetch' | 'python' | 'openai';

export async function fetchSnippet(id: number, target: SnippetTarget): Promise<string> {
  // The reason a request cannot be copied (the button's title) comes in the viewer's language.
  const res = await fetch(`/api/exchanges/${id}/snippet${query({ target, lang: i18n.language })}`);
  if (!res.ok) throw new Error(((await res.json()) as { error?: string }).error ?? `${res.status} ${res.statusText}`);
  return res.text();
}

export function fetchComparison(a: number, b: number | 'working'): Promise<Comparison> {
  return getJson(`/api/compare${query({ a, b, lang: i18n.language })}`);
}

/** A page of the list, its titles (diagnosis, recorded error, notes) in the viewer's language. */
export function fetchExchanges(filter: ListFilter, cursor?: number | string): Promise<ExchangeListAnswer> {
  return getJson(exchangesUrl(filter, cursor, i18n.language));
}

export function fetchExchange(id: number, lang?: string): Promise<ExchangeDetail> {
  return getJson(`/api/exchanges/${id}${query({ lang })}`);
}

export function fetchEvents(id: number, after: number): Promise<StreamEvents> {
  return getJson(`/api/exchanges/${id}/events${query({ after })}`);
}

export function fetchStatus(): Promise<ViewerStatus> {
  return getJson('/api/status');
}

export async function clearAll(): Promise<void> {
  const res = await fetch('/api/exchanges', { method: 'DELETE' });
  if (!res.ok) throw new Error(((await res.json()) as { error?: string }).error ?? res.statusText);
}

export function harUrl(filter: ListFilter & { id?: number }): string {
  return `/api/export.har${query({ ...filter })}`;
}
