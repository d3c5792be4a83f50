// A list row's cost, from what the row already holds (host, model, dialect, the usage figures and
// the two token columns, the start): the list never reads a body or a head for it. The same rule
// as every other cost (llm/cost.ts callCost): the provider's figure, else estimated, else unknown.
import type { ExchangeSummary } from '../model/summary.ts';
import type { Usage } from '../model/token-usage.ts';
import { callCost, type CallCost } from './cost.ts';

/** The call's figures as priced: the stored usage, the token columns winning for input and output (as `wirelog usage` reads them). */
function pricedUsage(call: NonNullable<ExchangeSummary['call']>): Usage {
  const usage: Usage = { ...call.usage };
  if (call.inputTokens !== null) usage.input = call.inputTokens;
  if (call.outputTokens !== null) usage.output = call.outputTokens;
  return usage;
}

/**
 * A stored call's cost, from its host, start and call facts; null for what is not a model call
 * (a model list) or reported no usage at all. The list, the session's rows and its header use it.
 */
export function storedCallCost(host: string, startedAt: number, call: ExchangeSummary['call']): CallCost | null {
  if (!call || call.dialect === 'models') return null;
  const usage = pricedUsage(call);
  // No figure reported (a failed or cut call): nothing to price, and no reason to guess one.
  if (Object.keys(usage).length === 0) return null;
  return callCost({ host, model: call.model, dialect: call.dialect, usage, startedAt });
}

/** A model call's cost; null for what is not one (plain HTTP, a model list) or reported no usage at all. */
export function summaryCost(summary: ExchangeSummary): CallCost | null {
  return storedCallCost(summary.host, summary.startedAt, summary.call);
}

/** The row with its cost (unchanged when it is not a model call). */
export function withCost(summary: ExchangeSummary): ExchangeSummary {
  const cost = summaryCost(summary);
  return cost === null ? summary : { ...summary, cost };
}
