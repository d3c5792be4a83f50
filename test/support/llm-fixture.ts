import type { WsText } from '../../llm/analyze.ts';
import type { Exchange, ExchangeState, Timings } from '../../model/exchange.ts';

/** One file of test/fixtures/llm: an exchange as the provider answered it, and what wirelog must make of it. */
export interface Fixture {
  description: string;
  exchange: {
    method: string;
    host?: string;
    path: string;
    scheme?: Exchange['request']['scheme'];
    status: number | null;
    streamKind: Exchange['streamKind'];
    state: ExchangeState;
    error?: string;
    timings: Timings;
  };
  request?: unknown;
  response?: unknown;
  responseText?: string;
  events?: { offsetMs: number; event?: string; data: string }[];
  /** The response body's bytes, for streams whose framing is the point (an unterminated last event). */
  raw?: string;
  ws?: WsText[];
  expect: Record<string, unknown>;
  /** The diagnosis the call gets, where it is a failure: its rule and words its summary and fix contain. */
  diagnosis?: {
    rule: string;
    summary: string;
    fix: string;
    /** The fix "Try this fix" sends (null: none), where the fixture says. */
    action?: unknown;
    /** Words the Chinese summary and fix contain. */
    zh?: { summary: string; fix?: string };
  };
  /** Where the bytes come from: the provider's documentation, an SDK's types, a public issue thread. */
  source?: string;
}
