// What a model call cost, and where the figure comes from. The provider's own figure wins (OpenRouter's
// usage.cost); otherwise a price from @pydantic/genai-prices, the maintained table shipped with wirelog,
// labelled estimated with the price and the table's date; otherwise "price unknown". A relay (new-api,
// one-api, any host that is not a provider's own API) sets its own prices (分组倍率, 渠道 markups), so
// an official price there would be a guess: it stays unknown. Nothing here fetches prices: the table is
// the one bundled with the package (its updatePrices would reach the network, and is never called).
import { calcPrice, findProvider, type PriceCalculation } from '@pydantic/genai-prices';
import type { Usage } from '../model/usage.ts';

/** The price table and the date its prices are from (the release date of this version on the registry). */
export const PRICE_TABLE = { name: '@pydantic/genai-prices', version: '0.1.8', date: '2026-09-23' } as const;

export type CostSource = 'provider' | 'estimated' | 'unknown';

/** Why a call has no cost: a relay's host, a model the provider's table lacks, or no token figures to price. */
export type UnknownCost = 'relay' | 'model' | 'tokens';

/** Dollars per million tokens of the price used (the base rate of a tiered price). */
export interface PriceUsed {
  provider: string;
  model: string;
  inputPerMTok: number | null;
  outputPerMTok: number | null;
  cacheReadPerMTok: number | null;
  cacheWritePerMTok: number | null;
  /** The rate changes with the prompt's size (Gemini past 200k tokens): the base is shown, the total used the tier. */
  tiered: boolean;
  table: string;
  /** YYYY-MM-DD: the day the table's prices are from. */
  date: string;
}

export type CallCost =
  | { source: 'provider'; usd: number }
  | { source: 'estimated'; usd: number; price: PriceUsed }
  | { source: 'unknown'; usd: null; why: UnknownCost };

/** The stored facts a cost is computed from (db columns: host, model, dialect, usage, started_at). */
export interface PricedCall {
  host: string;
  model: string | null;
  dialect: string;
  usage: Usage;
  startedAt: number;
}

/** Token counts in the table's terms: input_tokens is every prompt token, cache reads and writes included. */
export interface PriceUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens?: number;
  cache_write_tokens?: number;
}

/**
 * The usage as the price table counts it, or null when the provider did not report enough to price
 * it. Anthropic reports input without its cache reads and writes; OpenAI, Gemini, DeepSeek and
 * OpenRouter include them. Gemini's candidatesTokenCount leaves out the thinking tokens it bills as
 * output. Embeddings report input only (they generate nothing).
 */
export function priceUsage(dialect: string, usage: Usage): PriceUsage | null {
  if (usage.input === undefined) return null;
  if (usage.output === undefined && dialect !== 'embeddings') return null;
  const cacheRead = usage.cacheRead ?? 0;
  const cacheWrite = usage.cacheCreation ?? 0;
  const input = dialect === 'anthropic-messages' ? usage.input + cacheRead + cacheWrite : usage.input;
  const output = (usage.output ?? 0) + (dialect === 'gemini' ? (usage.reasoning ?? 0) : 0);
  return { input_tokens: input, output_tokens: output, ...(cacheRead ? { cache_read_tokens: cacheRead } : {}), ...(cacheWrite ? { cache_write_tokens: cacheWrite } : {}) };
}

/**
 * Share of the prompt served from the provider's cache (0 to 1), or null when the provider reported
 * no cache figure (read or write) or no input. Same partition as priceUsage: Anthropic's input
 * leaves the cache out. A call that only wrote the cache read none of it: 0.
 */
export function cacheHitRate(dialect: string, usage: Usage): number | null {
  if ((usage.cacheRead === undefined && usage.cacheCreation === undefined) || usage.input === undefined) return null;
  const read = usage.cacheRead ?? 0;
  const prompt = dialect === 'anthropic-messages' ? usage.input + read + (usage.cacheCreation ?? 0) : usage.input;
  return prompt > 0 ? read / prompt : null;
}

const providers = new Map<string, string | null>();

/**
 * The price table's provider for a host when the host is that provider's own API (api.openai.com,
 * api.anthropic.com, generativelanguage.googleapis.com, api.deepseek.com, api.moonshot.cn,
 * openrouter.ai…), else null: a relay, a gateway of one's own, a test server. The table matches by
 * its providers' own API address patterns; Alibaba's DashScope is not among them (0.1.8 has no Qwen
 * prices), so Qwen calls stay unknown.
 */
export function providerOfHost(host: string): string | null {
  const key = host.toLowerCase();
  let id = providers.get(key);
  if (id === undefined) {
    id = findProvider({ providerApiUrl: `https://${key}` })?.id ?? null;
    providers.set(key, id);
  }
  return id;
}

/** The table's price for this model at this provider on this day, or null: the table does not list it. */
export function findPrice(providerId: string, model: string, at: number): PriceCalculation | null {
  return calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { providerId, timestamp: new Date(at) });
}

/**
 * Whether the cost of many calls of this price is the price of their summed tokens: not when a rate
 * depends on the prompt's size (tiers), the time of day (off-peak rates) or charges per request.
 */
export function isLinear(price: PriceCalculation): boolean {
  const perRequest = price.model_price.requests_kcount !== undefined;
  const tiered = Object.values(price.model_price).some((rate) => typeof rate === 'object');
  const byTimeOfDay = Array.isArray(price.model.prices) && price.model.prices.some((p) => p.constraint?.type === 'time_of_date');
  return !perRequest && !tiered && !byTimeOfDay;
}

const rate = (value: unknown): number | null => (typeof value === 'number' ? value : value && typeof value === 'object' && typeof (value as { base?: unknown }).base === 'number' ? (value as { base: number }).base : null);

export function priceUsed(price: PriceCalculation): PriceUsed {
  const p = price.model_price;
  return {
    provider: price.provider.name,
    model: price.model.name ?? price.model.id,
    inputPerMTok: rate(p.input_mtok),
    outputPerMTok: rate(p.output_mtok),
    cacheReadPerMTok: rate(p.cache_read_mtok),
    cacheWritePerMTok: rate(p.cache_write_mtok),
    tiered: Object.values(p).some((value) => typeof value === 'object'),
    table: `${PRICE_TABLE.name} ${PRICE_TABLE.version}`,
    date: PRICE_TABLE.date,
  };
}

/** Dollars for these tokens at this provider's price for the model on that day; null when the table has no price. */
export function estimate(providerId: string, model: string, tokens: PriceUsage, at: number): { usd: number; price: PriceCalculation } | null {
  const price = calcPrice({ ...tokens }, model, { providerId, timestamp: new Date(at) });
  return price ? { usd: price.total_price, price } : null;
}

/** One call's cost: the provider's figure, else an estimate from the table, else unknown and why. */
export function callCost(call: PricedCall): CallCost {
  if (call.usage.cost !== undefined) return { source: 'provider', usd: call.usage.cost };
  const providerId = providerOfHost(call.host);
  if (providerId === null) return { source: 'unknown', usd: null, why: 'relay' };
  const tokens = priceUsage(call.dialect, call.usage);
  if (tokens === null) return { source: 'unknown', usd: null, why: 'tokens' };
  const found = call.model ? estimate(providerId, call.model, tokens, call.startedAt) : null;
  if (!found) return { source: 'unknown', usd: null, why: 'model' };
  return { source: 'estimated', usd: found.usd, price: priceUsed(found.price) };
}

/**
 * The source a group of calls reports: unknown as soon as one priced call is unknown (its total would
 * leave that call out: the sum of the others is kept apart, as partial), else estimated when any is
 * estimated, else the provider's. A group with no priced call at all is unknown.
 */
export function groupSource(sources: Iterable<CostSource>): CostSource {
  let estimated = false;
  let provider = false;
  for (const source of sources) {
    if (source === 'unknown') return 'unknown';
    if (source === 'estimated') estimated = true;
    else provider = true;
  }
  return estimated ? 'estimated' : provider ? 'provider' : 'unknown';
}

/** One group of `wirelog usage` (and its --json object): figures as the providers reported them, summed. */
export interface UsageGroup {
  /** The session (thread key), model, host or day; null: calls without one (no session, no model named). */
  key: string | null;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  /** Null when no call of the group reported reasoning tokens. */
  reasoningTokens: number | null;
  /** USD; null when costSource is unknown (pricedCost then holds the part that is known). */
  cost: number | null;
  costSource: CostSource;
  /** The sum of the costs that are known (the provider's and the estimated), whatever costSource says. */
  pricedCost: number;
  /** Calls with tokens but no price: a relay, a model the table lacks, or only some figures reported. */
  unpricedCalls: number;
  /** Calls whose provider reported no usage at all (failed calls, cut streams): no tokens, no cost. */
  callsWithoutUsage: number;
  /** Cache reads over the prompt, across the calls that reported a cache figure (read or write); null: none did. */
  cacheHitRate: number | null;
  avgTtftMs: number | null;
  /** Output tokens per second after the first token, across the streamed calls. */
  outputTokensPerSecond: number | null;
  firstAt: string;
  lastAt: string;
  /** The prices the estimate used (one per provider and model). */
  prices: PriceUsed[];
}

/** The sums of the calls of one group that one price applies to (db/usage-rollup.ts). */
export interface PricedAggregate {
  key: string | null;
  host: string;
  model: string | null;
  dialect: string;
  priceDay: string;
  kind: 'provider' | 'tokens' | 'partial' | 'none';
  calls: number;
  firstAt: number;
  lastAt: number;
  input: number;
  output: number;
  cacheRead: number;
  cacheReadCalls: number;
  cachedPrompt: number;
  cacheWrite: number;
  reasoning: number;
  reasoningCalls: number;
  providerCost: number;
  ttftSum: number;
  ttftCalls: number;
  streamedOutput: number;
  streamedSeconds: number;
}

/** What the calls of one aggregate cost: provider's sum, an estimate (summed tokens when the price is linear, else call by call), or unknown. */
function aggregateCost(a: PricedAggregate, callsOf: (a: PricedAggregate) => { startedAt: number; usage: Usage }[]): { source: CostSource | null; usd: number; price: PriceUsed | null } {
  if (a.kind === 'none') return { source: null, usd: 0, price: null };
  if (a.kind === 'provider') return { source: 'provider', usd: a.providerCost, price: null };
  const providerId = providerOfHost(a.host);
  if (a.kind === 'partial' || providerId === null || a.model === null) return { source: 'unknown', usd: 0, price: null };
  const found = findPrice(providerId, a.model, Date.parse(`${a.priceDay}T12:00:00Z`));
  if (!found) return { source: 'unknown', usd: 0, price: null };
  if (isLinear(found)) {
    const summed: Usage = { input: a.input, output: a.output, cacheRead: a.cacheRead, cacheCreation: a.cacheWrite, reasoning: a.reasoning };
    const tokens = priceUsage(a.dialect, summed)!;
    return { source: 'estimated', usd: estimate(providerId, a.model, tokens, a.firstAt)?.usd ?? 0, price: priceUsed(found) };
  }
  let usd = 0;
  for (const call of callsOf(a)) usd += estimate(providerId, a.model, priceUsage(a.dialect, call.usage)!, call.startedAt)?.usd ?? 0;
  return { source: 'estimated', usd, price: priceUsed(found) };
}

/** The groups, each with its figures summed and its cost priced; in the order the aggregates' keys first appear. */
export function rollUp(aggregates: PricedAggregate[], callsOf: (a: PricedAggregate) => { startedAt: number; usage: Usage }[]): UsageGroup[] {
  const groups = new Map<string | null, { group: UsageGroup; sources: CostSource[]; ttft: number; ttftCalls: number; cachedPrompt: number; cacheReadCalls: number; streamedOutput: number; streamedSeconds: number; reasoningCalls: number; first: number; last: number }>();
  for (const a of aggregates) {
    let g = groups.get(a.key);
    if (!g) {
      const group: UsageGroup = { key: a.key, calls: 0, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: null, cost: null, costSource: 'unknown', pricedCost: 0, unpricedCalls: 0, callsWithoutUsage: 0, cacheHitRate: null, avgTtftMs: null, outputTokensPerSecond: null, firstAt: '', lastAt: '', prices: [] };
      g = { group, sources: [], ttft: 0, ttftCalls: 0, cachedPrompt: 0, cacheReadCalls: 0, streamedOutput: 0, streamedSeconds: 0, reasoningCalls: 0, first: a.firstAt, last: a.lastAt };
      groups.set(a.key, g);
    }
    const group = g.group;
    group.calls += a.calls;
    group.inputTokens += a.input;
    group.outputTokens += a.output;
    group.cacheReadTokens += a.cacheRead;
    group.cacheWriteTokens += a.cacheWrite;
    if (a.reasoningCalls) group.reasoningTokens = (group.reasoningTokens ?? 0) + a.reasoning;
    g.reasoningCalls += a.reasoningCalls;
    g.ttft += a.ttftSum;
    g.ttftCalls += a.ttftCalls;
    g.cachedPrompt += a.cachedPrompt;
    g.cacheReadCalls += a.cacheReadCalls;
    g.streamedOutput += a.streamedOutput;
    g.streamedSeconds += a.streamedSeconds;
    g.first = Math.min(g.first, a.firstAt);
    g.last = Math.max(g.last, a.lastAt);
    const cost = aggregateCost(a, callsOf);
    if (a.kind === 'none') group.callsWithoutUsage += a.calls;
    if (cost.source === 'unknown') group.unpricedCalls += a.calls;
    if (cost.source) g.sources.push(cost.source);
    group.pricedCost += cost.usd;
    if (cost.price && !group.prices.some((p) => p.provider === cost.price!.provider && p.model === cost.price!.model)) group.prices.push(cost.price);
  }
  return [...groups.values()].map((g) => {
    const group = g.group;
    group.costSource = groupSource(g.sources);
    group.cost = group.costSource === 'unknown' ? null : group.pricedCost;
    group.cacheHitRate = g.cacheReadCalls && g.cachedPrompt > 0 ? group.cacheReadTokens / g.cachedPrompt : null;
    group.avgTtftMs = g.ttftCalls ? g.ttft / g.ttftCalls : null;
    group.outputTokensPerSecond = g.streamedSeconds > 0 ? g.streamedOutput / g.streamedSeconds : null;
    group.firstAt = new Date(g.first).toISOString();
    group.lastAt = new Date(g.last).toISOString();
    return group;
  });
}
