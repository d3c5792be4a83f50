// What `wirelog doctor` prints: a client that retried the same failing call is one entry.
import { exchangeUrl, headerValue, type Exchange } from '../model/exchange.ts';
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
  diagnoses: Diagnosis[];
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
    const key = JSON.stringify([userAgent, exchange.request.method, url, status, diagnoses.map((d) => [d.rule, d.summary])]);
    const group = groups.get(key);
    if (group) {
      group.ids.unshift(exchange.id);
      group.first = Math.min(group.first, exchange.request.startedAt);
      group.last = Math.max(group.last, exchange.request.startedAt);
    } else {
      groups.set(key, { ids: [exchange.id], method: exchange.request.method, url, status, first: exchange.request.startedAt, last: exchange.request.startedAt, userAgent, diagnoses });
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
