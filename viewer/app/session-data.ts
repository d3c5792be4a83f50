// The viewer's side of the session API (viewer/sessions-api.ts), and the session route in the
// path (/sessions, /sessions/KEY) so a link or a reload opens the same session.
import { useEffect, useState } from 'react';
import type { SessionHeader } from '../../llm/session.ts';
import { sessionFromLocation } from './session-path.ts';
import type { SessionPage, TurnContextAnswer, TurnDiffAnswer } from '../../llm/session-read.ts';

export type { SessionHeader, SessionPage, TurnContextAnswer, TurnDiffAnswer };
export type { SessionTurn, ToolPair } from '../../llm/session.ts';
export type { ContextBlock, ContextMessage, ContextTool, TurnContext } from '../../llm/turn-context.ts';
export type { BlockChange, MessageChange, TurnDiff } from '../../llm/turn-diff.ts';

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

const base = (key: string) => `/api/sessions/${encodeURIComponent(key)}`;

export function fetchSessions(): Promise<{ sessions: SessionHeader[] }> {
  return getJson('/api/sessions');
}

export function fetchSessionPage(key: string, offset: number, limit: number): Promise<SessionPage> {
  return getJson(`${base(key)}?offset=${offset}&limit=${limit}`);
}

export function fetchTurnContext(key: string, turn: number): Promise<TurnContextAnswer> {
  return getJson(`${base(key)}/context?turn=${turn}`);
}

export function fetchTurnDiff(key: string, b: number, a?: number): Promise<TurnDiffAnswer> {
  return getJson(`${base(key)}/diff?b=${b}${a === undefined ? '' : `&a=${a}`}`);
}

/** Goes to a path of the app as a link would, telling every route hook (they follow popstate). */
export function navigate(path: string): void {
  if (window.location.pathname !== path) window.history.pushState(null, '', path);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

export const sessionPath = (key: string) => `/sessions/${encodeURIComponent(key)}`;

/** The session route, following Back and Forward. */
export function useSessionRoute(): string | undefined {
  const [key, setKey] = useState(sessionFromLocation);
  useEffect(() => {
    const onPop = () => setKey(sessionFromLocation());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return key;
}
