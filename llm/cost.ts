// What a model call cost, and where the figure comes from. The provider's own figure wins (OpenRouter's
// usage.cost); otherwise a price from @pydantic/genai-prices, the maintained table shipped with wirelog,
// labelled estimated with the price and the table's date; otherwise "price unknown". A relay (new-api,
// one-api, any host that is not a provider's own API) sets its own prices (分组倍率, 渠道 markups), so
// an official price there would be a guess: it stays unknown. Nothing here fetches prices: the table is
// the one bundled with the package (its updatePrices would reach the network, and is never called).
import { calcPrice, findProvider, type PriceCalculation } from '@pydantic/genai-prices';
import type { Usage } from '../model/token-usage.ts';

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
  return {
    input_tokens: input,
    output_tokens: output,
    ...(cacheRead ? { cache_read_tokens: cacheRead } : {}),
    ...(cacheWrite ? { cache_write_tokens: cacheWrite } : {}),
  };
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

const rate = (value: unknown): number | null =>
  typeof value === 'number'
    ? value
    : value && typeof value === 'object' && typeof (value as { base?: unknown }).base === 'number'
      ? (value as { base: number }).base
      : null;

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
export function estimate(
  providerId: string,
  model: string,
  tokens: PriceUsage,
  at: number,
): { usd: number; price: PriceCalculation } | null {
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

/** One call's stored figures (db/usage-rollup.ts CallFigures). */
export interface RolledCall {
  key: string | null;
  host: string;
  model: string | null;
  dialect: string;
  startedAt: number;
  inputTokens: number | null;
  outputTokens: number | null;
  usage: string | null;
  ttftMs: number | null;
  streamed: boolean;
  timings: string | null;
}

const FIGURES = ['input', 'output', 'cacheRead', 'cacheCreation', 'reasoning', 'total', 'cost'] as const;

/** The usage as stored, its figures that are numbers; a damaged value reads as no usage. The columns win for input and output. */
function usageOfRow(call: RolledCall): Usage {
  let parsed: unknown = null;
  try {
    parsed = call.usage ? JSON.parse(call.usage) : null;
  } catch {
    parsed = null;
  }
  const usage: Usage = {};
  if (parsed && typeof parsed === 'object')
    for (const name of FIGURES)
      if (typeof (parsed as Record<string, unknown>)[name] === 'number')
        usage[name] = (parsed as Record<string, number>)[name];
  if (call.inputTokens !== null) usage.input = call.inputTokens;
  if (call.outputTokens !== null) usage.output = call.outputTokens;
  return usage;
}

function endOf(timings: string | null): number | null {
  try {
    const end = timings ? (JSON.parse(timings) as { end?: unknown }).end : undefined;
    return typeof end === 'number' ? end : null;
  } catch {
    return null;
  }
}

const DAY_MS = 86_400_000;

const secondsOf = (time: string) => {
  const [h, m, sec] = time.replace(/Z$/, '').split(':').map(Number);
  return h * 3600 + m * 60 + (sec || 0);
};

/** Whether a second of the UTC day is inside a time-of-day window (one that wraps midnight too), as the table reads its windows. */
function withinTimes(second: number, start: string, end: string): boolean {
  const from = secondsOf(start);
  const to = secondsOf(end);
  return to < from ? second >= from || second < to : second >= from && second < to;
}

/**
 * Which calls one price applies to at the same rates, so that their summed tokens are priced at
 * once (exactly what pricing each would give): the same provider, model and conditional price
 * (the UTC day, and the minute for off-peak rates), and the same tier (a tier is chosen by the
 * whole prompt's size). A price per request is priced call by call.
 */
class PriceBuckets {
  private readonly found = new Map<string, PriceCalculation | null>();
  readonly buckets = new Map<
    string,
    { providerId: string; model: string; at: number; tokens: PriceUsage; group: string | null }
  >();
  private serial = 0;

  private price(providerId: string, model: string, at: number): { price: PriceCalculation; slot: string } | null {
    const day = Math.floor(at / DAY_MS);
    const daily = `${providerId}\n${model}\n${day}`;
    if (!this.found.has(daily)) this.found.set(daily, findPrice(providerId, model, day * DAY_MS + DAY_MS / 2));
    const price = this.found.get(daily);
    if (!price) return null;
    if (!Array.isArray(price.model.prices) || !price.model.prices.some((p) => p.constraint?.type === 'time_of_date'))
      return { price, slot: daily };
    // Off-peak rates: the calls inside the same time-of-day windows share a price.
    const second = (at % DAY_MS) / 1000;
    const inside = price.model.prices.map((p) =>
      p.constraint?.type === 'time_of_date'
        ? withinTimes(second, p.constraint.start_time, p.constraint.end_time)
          ? 1
          : 0
        : '-',
    );
    const slot = `${daily}\n${inside.join('')}`;
    if (!this.found.has(slot)) this.found.set(slot, findPrice(providerId, model, at));
    return { price: this.found.get(slot)!, slot };
  }

  /** Adds a call's tokens to its bucket; null when the table has no price for it. */
  add(group: string | null, providerId: string, model: string, at: number, tokens: PriceUsage): PriceUsed | null {
    const found = this.price(providerId, model, at);
    if (!found) return null;
    const rates = Object.values(found.price.model_price);
    const starts = new Set(
      rates.flatMap((rate) => (rate && typeof rate === 'object' ? rate.tiers.map((tier) => tier.start) : [])),
    );
    const tier = [...starts].filter((start) => tokens.input_tokens > start).length;
    const perRequest = found.price.model_price.requests_kcount !== undefined;
    const id = `${JSON.stringify(group)}\n${found.slot}\n${tier}${perRequest ? `\n${this.serial++}` : ''}`;
    const bucket = this.buckets.get(id);
    if (!bucket)
      this.buckets.set(id, {
        providerId,
        model,
        at,
        tokens: {
          ...tokens,
          cache_read_tokens: tokens.cache_read_tokens ?? 0,
          cache_write_tokens: tokens.cache_write_tokens ?? 0,
        },
        group,
      });
    else {
      bucket.tokens.input_tokens += tokens.input_tokens;
      bucket.tokens.output_tokens += tokens.output_tokens;
      bucket.tokens.cache_read_tokens! += tokens.cache_read_tokens ?? 0;
      bucket.tokens.cache_write_tokens! += tokens.cache_write_tokens ?? 0;
    }
    return priceUsed(found.price);
  }
}

interface Tally {
  group: UsageGroup;
  sources: Set<CostSource>;
  ttft: number;
  ttftCalls: number;
  cachedPrompt: number;
  cacheCalls: number;
  streamedOutput: number;
  streamedSeconds: number;
  first: number;
  last: number;
}

function newTally(key: string | null, at: number): Tally {
  const group: UsageGroup = {
    key,
    calls: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: null,
    cost: null,
    costSource: 'unknown',
    pricedCost: 0,
    unpricedCalls: 0,
    callsWithoutUsage: 0,
    cacheHitRate: null,
    avgTtftMs: null,
    outputTokensPerSecond: null,
    firstAt: '',
    lastAt: '',
    prices: [],
  };
  return {
    group,
    sources: new Set(),
    ttft: 0,
    ttftCalls: 0,
    cachedPrompt: 0,
    cacheCalls: 0,
    streamedOutput: 0,
    streamedSeconds: 0,
    first: at,
    last: at,
  };
}

/** Adds one call's figures to its group's tally, and its cost to the provider's sum or a price bucket. */
function tallyCall(t: Tally, call: RolledCall, buckets: PriceBuckets): void {
  const g = t.group;
  const usage = usageOfRow(call);
  g.calls++;
  g.inputTokens += usage.input ?? 0;
  g.outputTokens += usage.output ?? 0;
  g.cacheReadTokens += usage.cacheRead ?? 0;
  g.cacheWriteTokens += usage.cacheCreation ?? 0;
  if (usage.reasoning !== undefined) g.reasoningTokens = (g.reasoningTokens ?? 0) + usage.reasoning;
  t.first = Math.min(t.first, call.startedAt);
  t.last = Math.max(t.last, call.startedAt);
  if (call.ttftMs !== null) {
    t.ttft += call.ttftMs;
    t.ttftCalls++;
  }
  const end = call.streamed ? endOf(call.timings) : null;
  if (end !== null && call.ttftMs !== null && end > call.ttftMs && usage.output !== undefined) {
    t.streamedOutput += usage.output;
    t.streamedSeconds += (end - call.ttftMs) / 1000;
  }
  if ((usage.cacheRead !== undefined || usage.cacheCreation !== undefined) && usage.input !== undefined) {
    const read = usage.cacheRead ?? 0;
    t.cachedPrompt +=
      call.dialect === 'anthropic-messages' ? usage.input + read + (usage.cacheCreation ?? 0) : usage.input;
    t.cacheCalls++;
  }
  if (usage.cost !== undefined) {
    g.pricedCost += usage.cost;
    t.sources.add('provider');
    return;
  }
  if (Object.keys(usage).length === 0) {
    g.callsWithoutUsage++;
    return;
  }
  const providerId = providerOfHost(call.host);
  const tokens = priceUsage(call.dialect, usage);
  const price =
    providerId && tokens && call.model ? buckets.add(g.key, providerId, call.model, call.startedAt, tokens) : null;
  if (!price) {
    g.unpricedCalls++;
    t.sources.add('unknown');
    return;
  }
  t.sources.add('estimated');
  if (!g.prices.some((p) => p.provider === price.provider && p.model === price.model)) g.prices.push(price);
}

/**
 * The calls summed per group, each group's cost the provider's figures plus the estimates (each
 * bucket of calls at one rate priced once), or unknown: see groupSource. Groups in the order their
 * first call appears.
 */
export function rollUp(calls: Iterable<RolledCall>): UsageGroup[] {
  const tallies = new Map<string | null, Tally>();
  const buckets = new PriceBuckets();
  for (const call of calls) {
    let t = tallies.get(call.key);
    if (!t) tallies.set(call.key, (t = newTally(call.key, call.startedAt)));
    tallyCall(t, call, buckets);
  }
  for (const bucket of buckets.buckets.values())
    tallies.get(bucket.group)!.group.pricedCost +=
      estimate(bucket.providerId, bucket.model, bucket.tokens, bucket.at)?.usd ?? 0;
  return [...tallies.values()].map((t) => {
    const g = t.group;
    g.costSource = groupSource(t.sources);
    g.cost = g.costSource === 'unknown' ? null : g.pricedCost;
    g.cacheHitRate = t.cacheCalls && t.cachedPrompt > 0 ? g.cacheReadTokens / t.cachedPrompt : null;
    g.avgTtftMs = t.ttftCalls ? t.ttft / t.ttftCalls : null;
    g.outputTokensPerSecond = t.streamedSeconds > 0 ? t.streamedOutput / t.streamedSeconds : null;
    g.firstAt = new Date(t.first).toISOString();
    g.lastAt = new Date(t.last).toISOString();
    return g;
  });
}
