// Why a model call failed, in one sentence, and the configuration line that fixes it.
// Each rule is a small function over one exchange (and the ones around it) that decides what is
// wrong; what it says is rule data (llm/diagnosis-text.ts, in English and Chinese), written for
// the client that sent the call; and which rule wins when several fire is data too (PRECEDENCE),
// never the order the rules run in nor one rule calling another.
import { clientOrigin, exchangeUrl, headerValue, inClientForm, type Exchange } from '../model/exchange.ts';
import { providerError } from './analyze.ts';
import { DONE_WITHOUT_FINISH } from './openai-chat.ts';
import { cherryStudioAddress, sendingClient } from './working-config.ts';
import { detectDialect } from './dialect.ts';
import { TEXTS, type Lang, type MessageId, type Params } from './diagnosis-text.ts';
import { obj, parseJson, str } from './json.ts';
import type { ModelCall } from './model-call.ts';
import { percentDecoded } from '../model/percent.ts';
import { KEY_HEADERS, KEY_PARAMS } from '../model/secrets.ts';
import { eventsShed } from '../model/shed-note.ts';
import { server } from '../i18n/messages/server.en.ts';

export type { Lang } from './diagnosis-text.ts';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnosis {
  rule: string;
  severity: Severity;
  summary: string;
  fix: string;
  /** The fix as data, where it is concrete enough to try: a replay with it applied shows whether it works. */
  action?: FixAction;
  /** What was said, as data: the message id in llm/diagnosis-text.ts and its parameters (for a catalogue to render). */
  message?: { id: string; params: Params };
}

/**
 * url: send the same call to this URL (the corrected base path, the same endpoint);
 * header: add this header (value null: the key, from a working call or from the user);
 * model: use this model id in the body (one the provider listed);
 * max-tokens: ask for at most this many output tokens (what the credit left can pay for, or
 * more than an answer cut at its limit had), in `field` when the body does not name one already.
 */
export type FixAction =
  | { kind: 'url'; url: string }
  | { kind: 'header'; name: string; value: string | null; scheme?: 'Bearer' }
  | { kind: 'model'; model: string }
  | { kind: 'max-tokens'; maxTokens: number; field?: OutputLimitField };

/** Where each dialect takes its output limit. */
export type OutputLimitField = 'max_tokens' | 'max_output_tokens' | 'generationConfig.maxOutputTokens';

const OUTPUT_LIMIT_FIELD: Partial<Record<ModelCall['dialect'], OutputLimitField>> = {
  'openai-chat': 'max_tokens',
  'openai-completions': 'max_tokens',
  'openai-responses': 'max_output_tokens',
  'anthropic-messages': 'max_tokens',
  gemini: 'generationConfig.maxOutputTokens',
};

export interface DiagnosisContext {
  exchange: Exchange;
  call: ModelCall | null;
  responseText: string | null;
  /** Exchanges captured shortly before this one, newest first. */
  earlier: Exchange[];
  /** Model ids the same host listed in a captured /models response, if any. */
  modelsListed: string[] | null;
  /** The language summaries and fixes are written in; English unless asked. */
  lang?: Lang;
}

/** A diagnosis in the context's language, from its message in llm/diagnosis-text.ts. */
function said(
  ctx: DiagnosisContext,
  rule: string,
  severity: Severity,
  id: MessageId,
  params: Params,
  action?: FixAction,
): Diagnosis {
  const lang = ctx.lang ?? 'en';
  const text = TEXTS[id];
  return {
    rule,
    severity,
    summary: text.summary[lang](params),
    fix: text.fix[lang](params),
    message: { id, params },
    ...(action ? { action } : {}),
  };
}

/**
 * How the fix names things for the client that sent the call: its kind, and for a corrected
 * endpoint URL the base URL, the whole URL and Cherry Studio's address, all in the form the
 * client must write them (the gateway form for a call that came through the gateway).
 */
function clientParams(ex: Exchange, endpointUrl?: string, endpoint?: string): Params {
  const kind = sendingClient(ex.request.headers).kind;
  if (!endpointUrl) return { client: kind };
  const written = inClientForm(endpointUrl, ex.request);
  const base =
    endpoint && written.split('?')[0].endsWith(endpoint) ? written.split('?')[0].slice(0, -endpoint.length) : written;
  return { client: kind, endpoint: written, base, cherry: cherryStudioAddress(written) };
}

/** A provider's message, clipped for a sentence. */
function clip(message: string | null | undefined, length: number): string {
  return (message ?? '').slice(0, length);
}

type Rule = (ctx: DiagnosisContext) => Diagnosis | null;

const ENDPOINTS = ['/chat/completions', '/responses', '/completions', '/messages', '/embeddings'];

/** Base paths of relays whose routes are documented, for "the route does not exist" hints. */
const KNOWN_RELAYS: Record<string, string> = {
  'openrouter.ai': 'https://openrouter.ai/api/v1',
  'zenmux.ai': 'https://zenmux.ai/api/v1 (Gemini-native image models: https://zenmux.ai/api/vertex-ai)',
};

function status(ctx: DiagnosisContext): number | null {
  return ctx.exchange.response?.status ?? null;
}

function origin(ex: Exchange): string {
  return clientOrigin(ex.request);
}

function pathname(ex: Exchange): string {
  return ex.request.path.split('?')[0];
}

/** The exchange's upstream URL with another path (its query kept). */
function withPath(ex: Exchange, path: string): string {
  const query = ex.request.path.includes('?') ? ex.request.path.slice(ex.request.path.indexOf('?')) : '';
  return exchangeUrl({
    ...ex.request,
    scheme: ex.request.scheme === 'wss' ? 'https' : ex.request.scheme === 'ws' ? 'http' : ex.request.scheme,
    path: `${path}${query}`,
  });
}

/** A known relay's documented base with the endpoint this call asked for (`/chat/completions`), as a URL to try. */
function onDocumentedBase(ex: Exchange, entry: string): FixAction | undefined {
  const endpoint = ENDPOINTS.find((e) => pathname(ex).endsWith(e));
  return endpoint ? { kind: 'url', url: `${documentedBase(entry)}${endpoint}` } : undefined;
}

const KEY_IN_QUERY = new RegExp(`[?&](${KEY_PARAMS.join('|')})=([^&]+)`);

function sentKey(ex: Exchange): string | null {
  for (const name of KEY_HEADERS) {
    const value = headerValue(ex.request.headers, name);
    if (value) return value;
  }
  const key = KEY_IN_QUERY.exec(ex.request.path);
  return key ? percentDecoded(key[2]) : null;
}

/** 404 on a path that says an endpoint or the version twice: the base_url already had it. */
export const repeatedEndpoint: Rule = (ctx) => {
  if (status(ctx) !== 404) return null;
  const path = pathname(ctx.exchange);
  // An endpoint, then (a version and) an endpoint again: Codex's /chat/completions/responses, or
  // Cherry Studio's /chat/completions/v1/chat/completions from an address that was a whole URL.
  const twice = ENDPOINTS.flatMap((a) =>
    ENDPOINTS.map((b) => ({ a, b, at: new RegExp(`${a}(/v\\d+(?:beta)?)?${b}`).exec(path) })),
  ).find((t) => t.at);
  const doubledVersion = /\/(v\d+(?:beta)?)\/\1\//.exec(path);
  if (!twice && !doubledVersion) return null;
  let base: string;
  if (twice) {
    const doubled = twice.at![0];
    const first = twice.a;
    base = path.slice(0, twice.at!.index);
    const appended = doubled.slice(first.length);
    const url = withPath(ctx.exchange, `${base}${twice.b}${path.slice(twice.at!.index + doubled.length)}`);
    const params = {
      ...clientParams(ctx.exchange, url, twice.b),
      base: `${origin(ctx.exchange)}${base}`,
      doubled,
      first,
      appended,
    };
    return said(ctx, 'repeated-endpoint', 'error', 'repeated-endpoint.doubled', params, { kind: 'url', url });
  }
  const version = doubledVersion![1];
  base = `${path.slice(0, path.indexOf(`/${version}/${version}/`))}/${version}`;
  const url = withPath(ctx.exchange, path.replace(`/${version}/${version}/`, `/${version}/`));
  const endpoint = ENDPOINTS.find((e) => path.endsWith(e));
  return said(
    ctx,
    'repeated-endpoint',
    'error',
    'repeated-endpoint.version',
    { ...clientParams(ctx.exchange, url, endpoint), base: `${origin(ctx.exchange)}${base}`, version },
    { kind: 'url', url },
  );
};

/** new-api's "Invalid URL (POST /x)" and other relays' unknown-route 404s. */
/** The URL of a KNOWN_RELAYS entry, without the note after it. */
function documentedBase(entry: string): string {
  return entry.split(' ')[0];
}

/** The answer is a web page: by its Content-Type, or by how its body starts. */
function isHtml(ctx: DiagnosisContext): boolean {
  const type = headerValue(ctx.exchange.response?.headers ?? [], 'content-type') ?? '';
  return /text\/html/i.test(type) || /^\s*<(!doctype html|html)/i.test(ctx.responseText ?? '');
}

/**
 * A model call answered with an HTML page: the base URL points at the provider's website
 * (OpenRouter's site answers a wrong path with its HTML 404), not at its API.
 */
export const htmlAnswer: Rule = (ctx) => {
  const s = status(ctx);
  if (!ctx.call || s === null || s < 400 || !isHtml(ctx)) return null;
  const host = ctx.exchange.request.host.replace(/^www\./, '');
  const known = Object.entries(KNOWN_RELAYS).find(([h]) => host === h || host.endsWith(`.${h}`));
  const action = known ? onDocumentedBase(ctx.exchange, known[1]) : undefined;
  const onBase = known ? documentedParams(ctx.exchange, known[1], action) : clientParams(ctx.exchange);
  return said(
    ctx,
    'html-answer',
    'error',
    'html-answer',
    { ...onBase, status: String(s), host, path: pathname(ctx.exchange) },
    action,
  );
};

/** The fix's parameters for a known relay's documented base URL: the base in the client's form, and the endpoint on it. */
function documentedParams(ex: Exchange, entry: string, action: FixAction | undefined): Params {
  const base = inClientForm(documentedBase(entry), ex.request);
  const url = action?.kind === 'url' ? action.url : documentedBase(entry);
  return { ...clientParams(ex, url), base, documented: entry };
}

export const unknownRoute: Rule = (ctx) => {
  if (status(ctx) !== 404 || isHtml(ctx)) return null;
  const message = providerError(ctx.responseText) ?? '';
  if (!/invalid url|no route|not found|unknown (url|route|path)|路由/i.test(message)) return null;
  // "model 'x' not found" (Ollama, OpenAI): the route exists, the model does not.
  if (/model|模型/i.test(message) && !/invalid url|no route|unknown (url|route|path)|路由/i.test(message)) return null;
  const host = ctx.exchange.request.host.replace(/^www\./, '');
  const known = Object.entries(KNOWN_RELAYS).find(([h]) => host === h || host.endsWith(`.${h}`));
  const action = known ? onDocumentedBase(ctx.exchange, known[1]) : undefined;
  const onBase = known ? documentedParams(ctx.exchange, known[1], action) : clientParams(ctx.exchange);
  return said(
    ctx,
    'unknown-route',
    'error',
    'unknown-route',
    { ...onBase, host, method: ctx.exchange.request.method, path: pathname(ctx.exchange), message: clip(message, 120) },
    action,
  );
};

/**
 * Where the API this call speaks takes its key: Anthropic's Messages API x-api-key, Gemini
 * x-goog-api-key, the rest Authorization: Bearer. Read from the call, else from its path and
 * host, so a call with no body to analyse still gets its own header.
 */
function keyHeaderFor(call: ModelCall | null, ex: Exchange): Extract<FixAction, { kind: 'header' }> {
  const dialect = call?.dialect ?? detectDialect(ex.request.method, ex.request.path);
  const host = ex.request.host.toLowerCase();
  if (dialect === 'anthropic-messages' || (!dialect && /(^|\.)anthropic\.com$/.test(host)))
    return { kind: 'header', name: 'x-api-key', value: null };
  if (dialect === 'gemini' || (!dialect && /(^|\.)generativelanguage\.googleapis\.com$/.test(host)))
    return { kind: 'header', name: 'x-goog-api-key', value: null };
  return { kind: 'header', name: 'Authorization', value: null, scheme: 'Bearer' };
}

/** The listed model most like the one asked for: the longest shared prefix, then the shortest id. */
export function closestModel(requested: string, listed: string[]): string {
  const want = requested.toLowerCase().replace(/^.*\//, '');
  const shared = (id: string) => {
    const have = id.toLowerCase().replace(/^.*\//, '');
    let n = 0;
    while (n < want.length && n < have.length && want[n] === have[n]) n++;
    return n;
  };
  return [...listed].sort((a, b) => shared(b) - shared(a) || a.length - b.length)[0];
}

export const missingKey: Rule = (ctx) => {
  const s = status(ctx);
  if (s !== 401 && s !== 403) return null;
  if (sentKey(ctx.exchange)) return null;
  const action = keyHeaderFor(ctx.call, ctx.exchange);
  const headerValue = action.scheme ? `${action.scheme} YOUR_KEY` : 'YOUR_KEY';
  return said(
    ctx,
    'missing-key',
    'error',
    'missing-key',
    { ...clientParams(ctx.exchange), status: String(s), header: action.name, headerValue },
    action,
  );
};

export const keyRejected: Rule = (ctx) => {
  const s = status(ctx);
  if (s !== 401 && s !== 403) return null;
  const key = sentKey(ctx.exchange);
  if (!key) return null;
  const message = providerError(ctx.responseText);
  if (s === 403 && message && /model|模型/i.test(message)) return null; // a model permission, not the key
  return said(ctx, 'key-rejected', 'error', 'key-rejected', {
    ...clientParams(ctx.exchange),
    status: String(s),
    key: key.replace(/^(Bearer|Basic)\s+/i, ''),
    message: clip(message, 120),
    host: ctx.exchange.request.host,
  });
};

/** Said of a model the key cannot use: missing, not in its group, not allowed to it. */
const MODEL_REFUSED =
  /not (found|exist|allowed|available|supported|authorized|permitted)|does not exist|no available|no (access|permission)|(do not|don't) have (access|permission)|permission denied|try pulling it first|无可用渠道|不存在|无权|没有权限|不允许|invalid model|unknown model|unsupported model/i;

export const modelUnavailable: Rule = (ctx) => {
  const s = status(ctx);
  if (s !== 400 && s !== 403 && s !== 404 && s !== 503) return null;
  const message = providerError(ctx.responseText) ?? '';
  if (!/model|模型/i.test(message) || !MODEL_REFUSED.test(message)) return null;
  // "Unsupported parameter: 'temperature' is not supported with this model" names a parameter, not the model.
  const param = str(obj(obj(parseJson(ctx.responseText)).error).param);
  if ((param && param !== 'model') || /unsupported (parameter|value)/i.test(message)) return null;
  const requested = ctx.call?.requestedModel ?? modelNamed(message);
  const listed = ctx.modelsListed?.length
    ? `${ctx.modelsListed.slice(0, 30).join(', ')}${ctx.modelsListed.length > 30 ? ', ...' : ''}`
    : '';
  // Ollama answers a model it has not pulled with 404 "model 'x' not found, try pulling it first".
  const ollama = /try pulling it first/i.test(message) || ctx.exchange.request.port === 11434;
  const action = ctx.modelsListed?.length
    ? { kind: 'model' as const, model: closestModel(requested ?? '', ctx.modelsListed) }
    : undefined;
  const params = { model: requested ?? '', message: clip(message, 160), origin: origin(ctx.exchange), listed };
  return said(
    ctx,
    'model-unavailable',
    'error',
    ollama ? 'model-unavailable.ollama' : 'model-unavailable',
    params,
    action,
  );
};

/** The model a message names in quotes ("model 'llama3' not found", "模型 gpt-5 无可用渠道"), when the request did not say. */
function modelNamed(message: string): string | null {
  return (
    /model[^'"`“]{0,12}['"`“]([^'"`”]{1,120})['"`”]/i.exec(message)?.[1] ??
    /模型\s*([\w./:-]{2,120})/.exec(message)?.[1] ??
    null
  );
}

/**
 * OpenRouter relays a provider's refusal inside its own: `error.metadata.raw` holds what the
 * provider said, `error.metadata.provider_name` who it was. That is the real reason.
 */
function relayedProviderError(text: string | null): { provider: string | null; raw: string } | null {
  const metadata = obj(obj(obj(parseJson(text)).error).metadata);
  const raw =
    typeof metadata.raw === 'string' ? metadata.raw : metadata.raw === undefined ? null : JSON.stringify(metadata.raw);
  return raw ? { provider: str(metadata.provider_name), raw } : null;
}

export const rateLimited: Rule = (ctx) => {
  if (status(ctx) !== 429) return null;
  const retryAfter = headerValue(ctx.exchange.response?.headers ?? [], 'retry-after');
  const relayed = relayedProviderError(ctx.responseText);
  const message = relayed
    ? `${relayed.provider ?? 'the provider'} says: ${relayed.raw}`
    : (providerError(ctx.responseText) ?? '');
  const quota = /quota|insufficient|balance|credit|余额|额度|欠费/i.test(message);
  const params = { message: clip(message, 200), retryAfter: retryAfter ?? '' };
  return quota
    ? said(ctx, 'rate-limited', 'error', 'rate-limited.quota', params)
    : said(ctx, 'rate-limited', 'warning', 'rate-limited', params);
};

/** Where the known providers let an account top up its credit (a relay's own page is not known). */
const TOP_UP: Record<string, string> = {
  'openrouter.ai': 'https://openrouter.ai/settings/credits',
  'api.deepseek.com': 'https://platform.deepseek.com/top_up',
};

/** Where a model is activated, by the provider's host. */
const CONSOLES: Record<string, { en: string; zh: string }> = {
  'volces.com': {
    en: 'the Volcengine Ark console (Activation management / 开通管理)',
    zh: '火山方舟控制台的「开通管理」',
  },
  'aliyuncs.com': { en: 'the Alibaba Cloud Model Studio (百炼) console', zh: '阿里云百炼控制台' },
};

function byHost<T>(table: Record<string, T>, host: string): T | undefined {
  return Object.entries(table).find(([h]) => host === h || host.endsWith(`.${h}`))?.[1];
}

/** What a refusal says about the account: its balance is gone, the account itself is not in good standing, or the model is not activated on it. */
type Standing = 'balance' | 'account' | 'not-activated';

/** Words that say the money is gone, whatever the status (one-api/new-api 403, DashScope 400, Zhipu 429, MiniMax 500, OpenRouter 402). */
const NO_BALANCE =
  /insufficient[ _]?(credits?|balance|funds|quota|user[ _]quota|account balance)|out of credits?|quota (is )?not enough|credit limit is insufficient|(balance|credits?) (is )?(insufficient|not enough|too low|exhausted)|requires more credits|can only afford|overdue balance|balance is overdue|in arrears|arrearage|account is in good standing|余额不足|额度不足|额度已用尽|额度用尽|欠费/i;
/** Words that say so only when the message is not about request rates (Gemini's free tier "exceeded your current quota ... retry in 20s" is a rate limit). */
const PAY_UP = /exceeded your current (token )?quota|top.?up|recharge|purchase (more )?credits|充值/i;
const RATE_WORDS =
  /rate.?limit|too many requests|requests per|tokens per|\b[RT]PM\b|concurren|retry in|请求过于频繁|频率|并发/i;
const ACCOUNT_DOWN =
  /account[^.]{0,60}\b(is not active|is inactive|is currently inactive|suspended|locked|frozen|disabled|banned|deactivated)|account suspended|账户[^。]{0,12}(未激活|非活动|冻结|锁定|封禁|停用|暂停)|用户已被封禁/i;
const NOT_ACTIVATED =
  /has not activated|not (been |yet )?activated|activate the (model|service)|未开通|尚未开通|暂未开通|请.{0,12}开通/i;
/** Error codes and types providers document for these (compared in lower case). */
const STANDING_CODES: Record<string, Standing> = {
  insufficient_user_quota: 'balance', // one-api / new-api
  pre_consume_token_quota_failed: 'balance', // new-api: the token's own quota
  insufficient_quota: 'balance', // OpenAI
  insufficient_balance: 'balance',
  insufficient_balance_error: 'balance',
  insufficient_credits: 'balance',
  credit_balance_too_low: 'balance',
  billing_hard_limit_reached: 'balance',
  exceeded_current_quota_error: 'balance', // Moonshot
  arrearage: 'balance', // DashScope
  accountoverdueerror: 'balance', // Volcengine Ark
  'operationdenied.serviceoverdue': 'balance',
  modelnotopen: 'not-activated', // Volcengine Ark
  'operationdenied.servicenotopen': 'not-activated',
  'accessdenied.unpurchased': 'not-activated', // DashScope
  account_deactivated: 'account',
};
/** Numeric codes mean something only from their own provider: SiliconFlow, Zhipu (BigModel / Z.ai), MiniMax. */
const HOST_CODES: [RegExp, Record<string, Standing>][] = [
  [/(^|\.)siliconflow\.(cn|com)$/i, { '30001': 'balance', '30011': 'balance' }],
  [/(^|\.)(bigmodel\.cn|z\.ai)$/i, { '1113': 'balance', '1110': 'account', '1112': 'account', '1121': 'account' }],
  [/(^|\.)minimaxi?\.(com|io|chat)$/i, { '1008': 'balance' }],
];

/** The provider's message (MiniMax's native base_resp too) and every code it gave, in lower case. */
function errorFacts(text: string | null): { message: string; codes: string[] } {
  const body = obj(parseJson(text));
  const error = obj(body.error);
  const baseResp = obj(body.base_resp);
  const codes = [error.code, error.type, body.code, body.type, baseResp.status_code]
    .filter((c) => typeof c === 'string' || typeof c === 'number')
    .map((c) => String(c).toLowerCase());
  return { message: providerError(text) ?? str(baseResp.status_msg) ?? '', codes };
}

function accountStanding(
  _s: number,
  host: string,
  text: string | null,
): { standing: Standing | null; message: string } {
  const { message, codes } = errorFacts(text);
  const numeric = HOST_CODES.find(([h]) => h.test(host))?.[1] ?? {};
  const coded = codes.map((c) => STANDING_CODES[c] ?? numeric[c]).find((c) => c !== undefined);
  const standing: Standing | null =
    NOT_ACTIVATED.test(message) || coded === 'not-activated'
      ? 'not-activated'
      : ACCOUNT_DOWN.test(message) || coded === 'account'
        ? 'account'
        : coded === 'balance' || NO_BALANCE.test(message) || (PAY_UP.test(message) && !RATE_WORDS.test(message))
          ? 'balance'
          : null;
  return { standing, message };
}

/**
 * 402, or a refusal, at any status, that says the balance or quota is gone or the account is
 * not in good standing: topping up (or the console) fixes it, the key and retries do not.
 */
export const outOfCredit: Rule = (ctx) => {
  const s = status(ctx);
  if (s === null || s < 400) return null;
  const host = ctx.exchange.request.host.replace(/^www\./, '');
  const { standing, message } = accountStanding(s, host, ctx.responseText);
  if (standing !== 'balance' && standing !== 'account' && s !== 402) return null;
  // OpenRouter: "You requested up to 65536 tokens, but can only afford 1234": asking for fewer works now.
  const afford = /can only afford (\d+)/i.exec(message)?.[1] ?? '';
  const requested = /requested up to (\d+)/i.exec(message)?.[1] ?? '';
  const params = {
    status: String(s),
    host,
    message: clip(message, 300),
    topUp: byHost(TOP_UP, host) ?? '',
    afford,
    requested,
  };
  return said(
    ctx,
    'out-of-credit',
    'error',
    standing === 'account' ? 'out-of-credit.account' : 'out-of-credit',
    params,
    afford ? { kind: 'max-tokens', maxTokens: Number(afford) } : undefined,
  );
};

/** Volcengine Ark's 404 ModelNotOpen and its kin: the model exists, the account has not switched it on. */
export const modelNotActivated: Rule = (ctx) => {
  const s = status(ctx);
  if (s === null || s < 400) return null;
  const host = ctx.exchange.request.host.replace(/^www\./, '');
  const { standing, message } = accountStanding(s, host, ctx.responseText);
  if (standing !== 'not-activated') return null;
  const model =
    ctx.call?.requestedModel ?? /the model ([^\s,]+?)\.?(\s|$)/i.exec(message)?.[1] ?? modelNamed(message) ?? '';
  const where = byHost(CONSOLES, host);
  return said(ctx, 'model-not-activated', 'error', 'model-not-activated', {
    status: String(s),
    host,
    model,
    message: clip(message, 200),
    console: where?.en ?? '',
    consoleZh: where?.zh ?? '',
  });
};

/** Hosts of model providers themselves, as opposed to relays in front of them. */
const PROVIDER_HOSTS =
  /(^|\.)(api\.anthropic\.com|api\.openai\.com|generativelanguage\.googleapis\.com|aiplatform\.googleapis\.com|api\.mistral\.ai|api\.deepseek\.com|api\.groq\.com|api\.x\.ai|openai\.azure\.com|api\.githubcopilot\.com|chatgpt\.com)$/i;

export const serverError: Rule = (ctx) => {
  const s = status(ctx);
  if (s === null || s < 500) return null;
  // wirelog answered itself (a loop to its own ports, a request it could not forward): no relay failed.
  if (ctx.exchange.state === 'proxy_error') return null;
  return serverErrorSaid(ctx, s, providerError(ctx.responseText) ?? '', false);
};

/**
 * A 5xx worded by who answered: the provider itself, or a relay (and then whether the failure is
 * behind it). `behind`: already known to be behind the relay (an error the relay passed on).
 */
function serverErrorSaid(ctx: DiagnosisContext, s: number, message: string, behind: boolean): Diagnosis {
  const host = ctx.exchange.request.host;
  const params = { status: String(s), host, message: clip(message, 120) };
  if (PROVIDER_HOSTS.test(host)) {
    const overloaded = s === 529 || s === 503 || /overload|capacity|unavailable/i.test(message);
    return said(ctx, 'server-error', 'error', 'server-error.provider', {
      ...params,
      overloaded: overloaded ? 'yes' : '',
    });
  }
  const upstream =
    behind || /upstream|上游|provider returned|bad gateway from/i.test(message) || s === 502 || s === 504;
  return said(ctx, 'server-error', 'error', upstream ? 'server-error.upstream' : 'server-error.relay', params);
}

/**
 * Error types a relay gives its own failures (new-api's `new_api_error`, one-api's
 * `one_api_error`); every other type in a stream it passes on is the provider's (Anthropic's
 * `overloaded_error` and `api_error`, OpenAI's `server_error`, OpenRouter's mid-stream errors).
 */
const RELAY_OWN_ERROR = /\b(new_api_error|one_api_error)\b/;

/**
 * A stream that began with 200 OK and then failed with the provider's own error event
 * (Anthropic `event: error`, the Responses API's `error` and `response.failed`, a Chat
 * Completions `{"error": …}` chunk, a Gemini error chunk): diagnosed as the same error sent
 * as an HTTP status would be, with the provider's message.
 */
export const streamError: Rule = (ctx) => {
  const s = status(ctx);
  if (ctx.call?.ending !== 'error' || s === null || s >= 400) return null;
  const reason = ctx.call.endingReason ?? 'an error event';
  // An error event in a stream a relay had begun with 200: the relay had reached the provider and
  // was passing its answer on; what failed is behind it (OpenRouter: an error while the model
  // produces its output comes as an SSE data event; Anthropic's overloaded_error and api_error
  // are the provider's), as a 502 from the relay says, unless the error is typed as the relay's own.
  const behindRelay =
    ctx.exchange.streamKind !== null &&
    !PROVIDER_HOSTS.test(ctx.exchange.request.host) &&
    !RELAY_OWN_ERROR.test(reason);
  const equivalent =
    /quota|insufficient|credit|balance|billing|rate.?limit|too many|resource.?exhausted|\b429\b|余额|额度/i.test(reason)
      ? 429
      : /overload|capacity|unavailable|\b529\b|\b503\b/i.test(reason)
        ? 503
        : behindRelay
          ? 502
          : 500;
  const asStatus: DiagnosisContext = {
    ...ctx,
    lang: 'en',
    exchange: {
      ...ctx.exchange,
      response: {
        ...(ctx.exchange.response ?? { statusText: '', httpVersion: '1.1', headers: [] }),
        status: equivalent,
        headers: [],
      },
    },
    responseText: JSON.stringify({ error: { message: reason } }),
  };
  const same =
    equivalent === 429
      ? rateLimited(asStatus)
      : serverErrorSaid(asStatus, equivalent, providerError(asStatus.responseText) ?? '', behindRelay);
  const streamed = ctx.exchange.streamKind !== null || ctx.call.stream;
  // The same error's message and parameters, said of a stream (llm/diagnosis-text.ts 'stream-error').
  // The provider's words are in the inner message's parameters; `reason` only when there is none (the list's column holds them once).
  const params = {
    ...(same?.message?.params ?? {}),
    inner: same?.message?.id ?? '',
    reason: same?.message ? '' : reason,
    began: String(s),
    streamed: streamed ? 'yes' : '',
  };
  return said(ctx, 'stream-error', same?.severity ?? 'error', 'stream-error', params);
};

/** Gemini refused the prompt itself (promptFeedback.blockReason): the prompt or the safety settings decide, not a retry. */
export const promptBlocked: Rule = (ctx) => {
  const reason = /^prompt blocked: (.+)$/.exec(ctx.call?.answer.refusal ?? '')?.[1];
  if (!reason) return null;
  return said(ctx, 'prompt-blocked', 'error', 'prompt-blocked', { reason });
};

/** How providers end an answer their content filter stopped: OpenAI and Azure, Gemini, Anthropic. */
const FILTERED_FINISH =
  /^(content_filter|SAFETY|PROHIBITED_CONTENT|BLOCKLIST|SPII|IMAGE_SAFETY|RECITATION|IMAGE_PROHIBITED_CONTENT|IMAGE_RECITATION|refusal)$/;

/**
 * The provider's content filter refused the prompt (Azure OpenAI's 400 `content_filter`) or
 * stopped the answer (finish_reason `content_filter`, Gemini's `SAFETY`, Anthropic's `refusal`).
 */
export const contentFiltered: Rule = (ctx) => {
  const s = status(ctx);
  // Only a refusal's body is read: every model call is diagnosed, and an answer's body can be megabytes.
  if (s !== null && s >= 400 && s < 500) {
    const error = obj(obj(parseJson(ctx.responseText)).error);
    const message = providerError(ctx.responseText) ?? '';
    const promptRefused =
      // OpenAI's image models: `moderation_blocked` (GPT image), `content_policy_violation` (DALL·E).
      /^(content_filter|moderation_blocked|content_policy_violation)$/.test(str(error.code) ?? '') ||
      /content management policy|ResponsibleAIPolicyViolation|content_policy_violation/i.test(
        `${message} ${JSON.stringify(error.innererror ?? '')}`,
      );
    if (promptRefused)
      return said(ctx, 'content-filtered', 'error', 'content-filtered.prompt', {
        status: String(s),
        message: clip(message, 200),
      });
  }
  const finish = ctx.call?.answer?.finishReason ?? null;
  if (finish === null || !FILTERED_FINISH.test(finish) || (s !== null && s >= 400)) return null;
  // Anthropic explains a refusal in stop_details: shown as the provider wrote it.
  return said(ctx, 'content-filtered', 'warning', 'content-filtered.answer', {
    finish,
    details: ctx.call?.answer.stopDetails ?? '',
  });
};

/** What a provider's 400 says about the request's length or its parameters. */
const TOO_LONG =
  /context.length|context window|maximum context|prompt is too long|input is too long|too many (input )?tokens|reduce the length|context_length_exceeded|exceeds the (maximum|limit)|超出.*(长度|上下文)|上下文.*(过长|超)/i;
const UNSUPPORTED =
  /unsupported (parameter|value)|is not supported|not supported with|unrecognized request argument|unknown (parameter|field|name)|extra inputs are not permitted|additional properties|unexpected (field|parameter|keyword)/i;

/**
 * A 400, 413 or 422 to a model call that no more specific rule explains: the provider's own
 * message, and what it usually means (the context window, a parameter the model does not take).
 */
export const requestRefused: Rule = (ctx) => {
  const s = status(ctx);
  if ((s !== 400 && s !== 413 && s !== 422) || !ctx.call) return null;
  const message = providerError(ctx.responseText);
  if (!message) return null;
  const params = { status: String(s), message: clip(message, 240) };
  if (s === 413 || TOO_LONG.test(message))
    return said(ctx, 'request-refused', 'error', 'request-refused.too-long', params);
  return said(
    ctx,
    'request-refused',
    'error',
    UNSUPPORTED.test(message) ? 'request-refused.unsupported' : 'request-refused',
    params,
  );
};

/** How each dialect says an answer stopped at the output limit: Chat Completions, Anthropic, the Responses API, Gemini. */
const OUTPUT_LIMIT = /^(length|max_tokens|max_output_tokens|MAX_TOKENS)$/;

/**
 * An answer cut at the output token limit (or, Anthropic's `model_context_window_exceeded`,
 * at the end of the context window): complete as far as the provider goes, but not the whole
 * answer; the fix is a setting in the client.
 */
export const outputLimit: Rule = (ctx) => {
  const finish = ctx.call?.answer?.finishReason ?? null;
  const s = status(ctx);
  if (finish === null || (s !== null && s >= 400)) return null;
  const output = ctx.call?.usage?.output;
  const params = { finish, output: output !== undefined ? String(output) : '' };
  if (finish === 'model_context_window_exceeded')
    return said(ctx, 'output-limit', 'warning', 'output-limit.context', params);
  if (!OUTPUT_LIMIT.test(finish)) return null;
  const action = raisedLimit(ctx.call!, ctx.exchange);
  return said(
    ctx,
    'output-limit',
    'warning',
    'output-limit',
    { ...params, raised: action ? String(action.maxTokens) : '' },
    action,
  );
};

/**
 * Twice the limit the answer reached, in its dialect's field: the output count is the limit it hit
 * (Gemini counts its thoughts apart, and they count against maxOutputTokens). None without a count.
 */
function raisedLimit(call: ModelCall, ex: Exchange): Extract<FixAction, { kind: 'max-tokens' }> | undefined {
  const dialect = call.dialect ?? detectDialect(ex.request.method, ex.request.path);
  const field = dialect ? OUTPUT_LIMIT_FIELD[dialect] : undefined;
  const output = call.usage?.output;
  if (!field || output === undefined || output <= 0) return undefined;
  const reached = output + (dialect === 'gemini' ? (call.usage.reasoning ?? 0) : 0);
  return { kind: 'max-tokens', maxTokens: reached * 2, field };
}

export const websocketFallback: Rule = (ctx) => {
  const ex = ctx.exchange;
  if (ex.request.method !== 'POST' || !pathname(ex).endsWith('/responses')) return null;
  const refused = ctx.earlier.find(
    (e) =>
      e.request.host === ex.request.host &&
      pathname(e) === pathname(ex) &&
      (e.request.scheme === 'wss' || e.request.scheme === 'ws') &&
      [404, 405, 426].includes(e.response?.status ?? 0) &&
      ex.request.startedAt - e.request.startedAt < 30_000,
  );
  if (!refused) return null;
  return said(ctx, 'websocket-fallback', 'info', 'websocket-fallback', {
    path: pathname(ex),
    status: String(refused.response!.status),
  });
};

export const untrustedCa: Rule = (ctx) => {
  const ex = ctx.exchange;
  // A handshake that only ran out of time is a slow or stuck client, not a verdict on the CA.
  if (ex.state !== 'proxy_error' || !/TLS handshake/.test(ex.error ?? '') || !/does not trust/.test(ex.error ?? ''))
    return null;
  const host = ex.request.host;
  const client = distrustingClient(ex);
  if (client.kind === 'java')
    return said(ctx, 'untrusted-ca', 'error', 'untrusted-ca.java', { host, client: client.label });
  if (client.kind === 'unknown')
    return said(ctx, 'untrusted-ca', 'error', 'untrusted-ca.either', { host, ua: client.ua, alert: client.alert });
  return said(ctx, 'untrusted-ca', 'error', 'untrusted-ca', { host });
};

/** A JVM's HTTP client by its User-Agent: HttpURLConnection's Java/17.0.15, Apache's "Apache-HttpClient/5.x (Java/17)", OkHttp's okhttp/4.x, the JDK HttpClient's Java-http-client/17 (on requests; it sends none on CONNECT). */
const JVM_CLIENT = /\bJava\/\d|Java-http-client\/|^okhttp\/|Apache-Http(?:Async)?Client\//i;
/** Clients that name themselves and run no JVM (besides those sendingClient knows): Go, Python, wget, Node. */
const NOT_JVM_CLIENT =
  /^(?:Go-http-client|python-requests|python-httpx|python-urllib3|Python-urllib|aiohttp|Wget|node|undici)\b/i;
/**
 * The alert the JDK's own TLS (SunJSSE, under every JVM client by default) sends when it does not
 * trust the server's CA: certificate_unknown (46), as Node names it. Measured against wirelog
 * with JDK 17: HttpURLConnection sends it; curl (OpenSSL) sends unknown_ca (48); the JDK's
 * HttpClient closes without an alert.
 */
const JDK_DISTRUST_ALERT = 'CERTIFICATE_UNKNOWN';

type DistrustingClient =
  | { kind: 'java'; label: string }
  | { kind: 'other' }
  | { kind: 'unknown'; ua: string; alert: string };

/**
 * Which client distrusted the CA, from what the failed tunnel kept (proxy/tunnel.ts): its
 * CONNECT's User-Agent first, then the TLS alert it sent (in the recorded error, as Node's
 * ERR_SSL_..._ALERT_<NAME>). An alert the JDK does not send for an unknown CA rules Java out; its
 * own alert, or none, does not name the client: then it is unknown, and the fix names both ways.
 */
function distrustingClient(ex: Exchange): DistrustingClient {
  const ua = headerValue(ex.request.headers, 'user-agent') ?? '';
  if (JVM_CLIENT.test(ua)) return { kind: 'java', label: sendingClient(ex.request.headers).label ?? ua.slice(0, 60) };
  if (sendingClient(ex.request.headers).kind !== 'other' || NOT_JVM_CLIENT.test(ua)) return { kind: 'other' };
  const alert = /ALERT_([A-Z_]+)/.exec(ex.error ?? '')?.[1] ?? '';
  if (alert && alert !== JDK_DISTRUST_ALERT) return { kind: 'other' };
  return { kind: 'unknown', ua: ua.slice(0, 60), alert: alert.toLowerCase() };
}

/** A client set up for another kind of proxy: wirelog recorded what it spoke (proxy/proxy-server.ts). */
export const wrongProtocol: Rule = (ctx) => {
  const ex = ctx.exchange;
  const spoke = ex.state === 'proxy_error' ? /^the client spoke ([^:]+): (.*)$/.exec(ex.error ?? '') : null;
  if (!spoke) return null;
  const protocol = spoke[1] === 'TLS' ? 'tls' : spoke[1].startsWith('SOCKS') ? 'socks' : 'h2c';
  const address = /http:\/\/([^\s,/]+)/.exec(spoke[2])?.[1] ?? '';
  return said(ctx, 'wrong-protocol', 'error', 'wrong-protocol', {
    protocol,
    version: spoke[1].replace(/^SOCKS/, ''),
    address,
  });
};

/**
 * The start of what the proxy records on an exchange whose events it stopped splitting out
 * (proxy/forward.ts: a compressed stream still decoding after it ended, one that does not decode,
 * one decoded past its bound), whatever the reason after it.
 */
const NOT_SPLIT = server.stored.eventsNotSplit.split('{{why}}')[0];

export const truncatedStream: Rule = (ctx) => {
  if (ctx.call?.ending !== 'truncated') return null;
  const ex = ctx.exchange;
  // Events storage left out (it was behind or failing) reached the client, as did events wirelog
  // stopped splitting out of a stream that ended cleanly: a missing final event in such a record
  // is no evidence that the stream was cut. A diagnosis only from complete evidence.
  if (eventsShed(ex.notes) || (ex.state === 'complete' && ex.error?.includes(NOT_SPLIT))) return null;
  const kind =
    ex.streamKind === null ? 'body' : ctx.call.endingReason?.startsWith(DONE_WITHOUT_FINISH) ? 'done' : 'stream';
  return said(ctx, 'truncated-stream', 'error', 'truncated-stream', { state: ex.state, kind });
};

/** A stored sentence of server.en.ts as a pattern, its parameters as named groups. */
function storedPattern(template: string): RegExp {
  const source = template
    .split(/\{\{(\w+)\}\}/)
    .map((part, i) => (i % 2 === 1 ? `(?<${part}>.+?)` : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** What proxy/upstream.ts's describeUpstreamError records when a call got no answer at all, by kind. */
const SLOW = storedPattern(server.stored.slowHint);
const UNDELIVERED: readonly (readonly [string, RegExp])[] = [
  ['tls-closed', storedPattern(server.stored.tlsClosed)],
  ['dns', storedPattern(server.stored.dns)],
  ['refused', storedPattern(server.stored.refused)],
  ['reset', storedPattern(server.stored.reset)],
  ['timed-out', storedPattern(server.stored.timedOut)],
  ['unreachable', storedPattern(server.stored.unreachable)],
  ['tls', storedPattern(server.stored.tlsFailed)],
  ['other', storedPattern(server.stored.upstreamFailed)],
  // The user's own proxy (--upstream-proxy) could not open the tunnel: said of the proxy, not the provider.
  ...(
    [
      'proxyTimeout',
      'proxyInvalid',
      'proxyBadCredentials',
      'proxyNeedsCredentials',
      'proxyStatus',
      'proxyRefused',
      'proxyFailed',
      'proxyClosed',
      'proxySlowTls',
      'proxyTlsClosed',
    ] as const
  ).map((key) => ['upstream-proxy', storedPattern(server.stored[key])] as const),
];
/** The two timeouts of proxy/upstream-request.ts watchUpstream, inside server.stored.slowHint. */
const TIMEOUTS: readonly (readonly [string, RegExp])[] = [
  ['connect-timeout', storedPattern(server.stored.connectSlow)],
  ['no-answer', /^no data from (?<where>\S+) for (?<silent>[\d.]+ s) \(--idle-timeout (?<seconds>[\d.]+) s\)$/],
];

/**
 * A call wirelog could not deliver (a DNS failure, a refused or reset connection, a failed TLS
 * handshake, no connection in time) or that got no answer before --idle-timeout: no response at
 * all, and the proxy's own record of why. Only from that record: a client that left (aborted),
 * a failure after the response began, and an error wirelog did not write itself say nothing here.
 */
export const undelivered: Rule = (ctx) => {
  const ex = ctx.exchange;
  if (ex.state !== 'upstream_error' || ex.response !== null || !ex.error) return null;
  const slow = SLOW.exec(ex.error)?.groups?.error;
  const found = (slow === undefined ? UNDELIVERED : TIMEOUTS)
    .map(([kind, pattern]) => ({ kind, groups: pattern.exec(slow ?? ex.error!)?.groups }))
    .find((m) => m.groups !== undefined);
  if (!found) return null;
  const g = found.groups!;
  const where = g.where ?? `${ex.request.host}:${ex.request.port}`;
  return said(ctx, 'undelivered', 'error', 'undelivered', {
    kind: found.kind,
    host: g.host ?? where.replace(/:\d+$/, ''),
    where,
    code: g.code ?? '',
    seconds: g.seconds ?? '',
    silent: g.silent ?? '',
    error: g.error ?? '',
    proxy: g.proxy ?? '',
  });
};

export const RULES: Record<string, Rule> = {
  'repeated-endpoint': repeatedEndpoint,
  'unknown-route': unknownRoute,
  'html-answer': htmlAnswer,
  'missing-key': missingKey,
  'key-rejected': keyRejected,
  'model-unavailable': modelUnavailable,
  'model-not-activated': modelNotActivated,
  'rate-limited': rateLimited,
  'out-of-credit': outOfCredit,
  'server-error': serverError,
  'stream-error': streamError,
  'prompt-blocked': promptBlocked,
  'content-filtered': contentFiltered,
  'request-refused': requestRefused,
  'output-limit': outputLimit,
  'websocket-fallback': websocketFallback,
  'untrusted-ca': untrustedCa,
  'wrong-protocol': wrongProtocol,
  'truncated-stream': truncatedStream,
  undelivered,
};

/**
 * Which finding wins when several rules fire on one call, as data. `over`: the rules whose
 * finding says nothing more once this one fired (a 403 that says the balance is gone is not a
 * rejected key; a route that exists with a missing model is not an unknown route). `priority`:
 * among what remains, the headline after severity (lower first): the list badge, `doctor`'s
 * first line, OTLP's rule.
 */
export const PRECEDENCE: Record<string, { priority: number; over?: readonly string[] }> = {
  'untrusted-ca': { priority: 0 },
  'wrong-protocol': { priority: 1 },
  undelivered: { priority: 2 },
  'repeated-endpoint': { priority: 10, over: ['unknown-route', 'request-refused', 'html-answer'] },
  'html-answer': { priority: 11, over: ['unknown-route', 'request-refused'] },
  'out-of-credit': {
    priority: 20,
    over: [
      'missing-key',
      'key-rejected',
      'rate-limited',
      'request-refused',
      'server-error',
      'model-unavailable',
      'unknown-route',
    ],
  },
  'model-not-activated': {
    priority: 21,
    over: ['model-unavailable', 'key-rejected', 'unknown-route', 'request-refused', 'server-error', 'rate-limited'],
  },
  'missing-key': { priority: 30, over: ['request-refused'] },
  'model-unavailable': { priority: 31, over: ['key-rejected', 'unknown-route', 'request-refused', 'server-error'] },
  'key-rejected': { priority: 32, over: ['request-refused'] },
  'unknown-route': { priority: 33, over: ['request-refused'] },
  'content-filtered': { priority: 40, over: ['request-refused'] },
  'rate-limited': { priority: 41 },
  'server-error': { priority: 42 },
  'request-refused': { priority: 43 },
  'stream-error': { priority: 50 },
  'prompt-blocked': { priority: 51 },
  'truncated-stream': { priority: 52 },
  'output-limit': { priority: 60 },
  'websocket-fallback': { priority: 70 },
};

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Severity first, then the rule's priority (a rule not in the table after every listed one). */
function byPrecedence(a: Diagnosis, b: Diagnosis): number {
  return (
    ORDER[a.severity] - ORDER[b.severity] ||
    (PRECEDENCE[a.rule]?.priority ?? 1000) - (PRECEDENCE[b.rule]?.priority ?? 1000)
  );
}

/** Every rule's finding on this call, those made moot by another's dropped, the headline first. */
export function diagnose(ctx: DiagnosisContext, lang: Lang = ctx.lang ?? 'en'): Diagnosis[] {
  // Not copied when it is already in the language: a copy would read every lazy field of the context.
  const inLang = ctx.lang === lang ? ctx : { ...ctx, lang };
  const found = Object.values(RULES)
    .map((rule) => rule(inLang))
    .filter((d): d is Diagnosis => d !== null);
  const moot = new Set(found.flatMap((d) => PRECEDENCE[d.rule]?.over ?? []));
  return found.filter((d) => !moot.has(d.rule)).sort(byPrecedence);
}

export function worst(diagnoses: Diagnosis[]): Diagnosis | null {
  return [...diagnoses].sort(byPrecedence)[0] ?? null;
}
