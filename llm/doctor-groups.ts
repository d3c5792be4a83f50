// What `wirelog doctor` prints: a client that retried the same failing call is one entry.
import { exchangeUrl, headerValue, type Exchange } from '../model/exchange.ts';
import { sendingClient } from './working-config.ts';
import type { Diagnosis } from './diagnose.ts';

export interface DiagnosisGroup {
  /** Exchange ids, oldest first. */
  ids: number[];
  method: string;
  url: string;
  status: number | string;
  /** Epoch ms of the first and last try. */
  first: number;
  last: number;
  userAgent: string | null;
  /** The app that sent the calls, by name ("Cherry Studio 1.5.7", "Codex 0.169.0"), not its raw User-Agent. */
  client: string | null;
  diagnoses: Diagnosis[];
}

/**
 * A summary without the ids a relay stamps on every answer (new-api's "(request id: 2025…)",
 * Ark's "Request id: 0217…", a request_id field), so retries of one error compare equal.
 */
export function withoutRequestIds(text: string): string {
  return text
    .replace(/\s*[(（]?\b(x-)?request[ _-]?id\b["']?\s*[:=：]\s*["']?[\w.-]+["']?[)）]?/gi, '')
    .replace(/\b(?=[0-9a-f-]*\d)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b/gi, '…')
    .replace(/\b(req|chatcmpl|resp|msg)[_-][\w-]{8,}\b/g, '$1-…');
}

/**
 * Groups exchanges (newest first) whose diagnoses are the same, from the same client (its
 * User-Agent) to the same method and URL: a Codex run that retried a wrong base URL five times
 * is one entry with six tries. Newest group first.
 */
export function groupDiagnoses(items: { exchange: Exchange; diagnoses: Diagnosis[] }[]): DiagnosisGroup[] {
  const groups = new Map<string, DiagnosisGroup>();
  for (const { exchange, diagnoses } of items) {
    if (diagnoses.length === 0) continue;
    const url = exchangeUrl(exchange.request);
    const userAgent = headerValue(exchange.request.headers, 'user-agent') ?? null;
    const status = exchange.response?.status ?? exchange.state;
    const key = JSON.stringify([
      userAgent,
      exchange.request.method,
      url,
      status,
      diagnoses.map((d) => [d.rule, withoutRequestIds(d.summary)]),
    ]);
    const group = groups.get(key);
    if (group) {
      group.ids.unshift(exchange.id);
      group.first = Math.min(group.first, exchange.request.startedAt);
      group.last = Math.max(group.last, exchange.request.startedAt);
    } else {
      const client = sendingClient(exchange.request.headers).label;
      groups.set(key, {
        ids: [exchange.id],
        method: exchange.request.method,
        url,
        status,
        first: exchange.request.startedAt,
        last: exchange.request.startedAt,
        userAgent,
        client,
        diagnoses,
      });
    }
  }
  return [...groups.values()].sort((a, b) => b.last - a.last || b.ids[b.ids.length - 1] - a.ids[a.ids.length - 1]);
}

/** "#4", "#1-#6", or "#2, #5, #9" when they are not in a row. */
export function idRange(ids: number[]): string {
  if (ids.length === 1) return `#${ids[0]}`;
  const inARow = ids.every((id, i) => i === 0 || id === ids[i - 1] + 1);
  return inARow ? `#${ids[0]}-#${ids[ids.length - 1]}` : ids.map((id) => `#${id}`).join(', ');
}
