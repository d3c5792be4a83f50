// What the API answers, typed once: the server checks each answer against these (`satisfies`),
// and the viewer app reads them, so neither side can drift from the other.
import type { BodyView } from '../db/body-view.ts';
import type { ClientConfig } from '../llm/working-config.ts';
import type { Diagnosis, FixAction } from '../llm/diagnose.ts';
import type { ModelCall } from '../llm/model-call.ts';
import type { CallCost } from '../llm/cost.ts';
import type { Exchange, ExchangeState, SseEvent } from '../model/exchange.ts';
import type { ExchangeSummary } from '../model/summary.ts';
import type { ImportProgress } from '../export/har-stream.ts';
import type { WithheldSecret } from '../replay/secret-guard.ts';

export interface ErrorAnswer {
  error: string;
}

export interface ExchangeListAnswer {
  exchanges: ExchangeSummary[];
  /** Newest first: the last id; sorted by a figure: "VALUE_ID" of the last row; null: no more. */
  nextCursor: number | string | null;
  /** On the first page (no cursor): how many exchanges match the filter, counted up to 10,000 (db/filter-plan.ts). */
  total?: number;
  /** True when `total` is a lower bound: more match ("10,000+"). */
  totalAtLeast?: boolean;
}

export interface ExchangeDetail {
  exchange: Exchange;
  requestBody: BodyView;
  responseBody: BodyView;
  /** With its cost (llm/cost.ts) when it is a call that reported usage. */
  modelCall: (ModelCall & { cost?: CallCost }) | null;
  diagnoses: Diagnosis[];
  /** How many calls share this one's thread (0 when it has none). */
  threadSize: number;
  /** Ids of the replays of this exchange, oldest first. */
  replays: number[];
  /** For a model call that worked: what to type into Codex and Cherry Studio. */
  clientConfig: ClientConfig | null;
  /** Secrets whose real values wirelog no longer holds in memory: a replay needs them typed in. */
  missingSecrets: string[];
}

export interface WsMessageView {
  seq: number;
  offsetMs: number;
  direction: 'send' | 'receive';
  opcode: number;
  text: string | null;
  base64: string | null;
}

export interface StreamEvents {
  kind: Exchange['streamKind'];
  state: ExchangeState;
  sseEvents: SseEvent[];
  wsMessages: WsMessageView[];
}

export interface ReplayAnswer {
  id: number;
  /** With fix: the diagnosis whose fix was applied. */
  rule?: string;
  action?: FixAction;
  /** Captured secrets left out because the replay's target may not receive them (replay/secret-origin.ts). */
  withheld: WithheldSecret[];
}

export interface ReplayRefusedAnswer extends ErrorAnswer {
  missingSecrets: string[];
}

export interface ImportAnswer {
  imported: number;
  ids: number[];
  name: string;
  /** What was stored otherwise than it was in the file (a body cut, JSON too deep to read), each naming its entry. */
  notes: string[];
}

/** One line of POST /api/import's answer as application/x-ndjson: progress, then the outcome. */
export type ImportLine = { progress: ImportProgress } | { done: ImportAnswer } | { error: string };
