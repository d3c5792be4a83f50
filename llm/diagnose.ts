// Why a model call failed, in one sentence, and the configuration line that fixes it.
// Each rule is a small function over one exchange (and the ones around it).
import { clientOrigin, exchangeUrl, headerValue, inClientForm, type Exchange } from '../model/exchange.ts';
import { providerError } from './analyze.ts';
import { obj, parseJson, str } from './json.ts';
import type { ModelCall } from './model-call.ts';
import { percentDecoded } from '../model/percent.ts';
import { eventsShed } from '../model/shed-note.ts';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnosis {
  rule: string;
  severity: Severity;
  summary: string;
  fix: string;
  /** The fix as data, where it is concrete enough to try: a replay with it applied shows whether it works. */
  action?: FixAction;
}

/**
 * url: send the same call to this URL (the corrected base path, the same endpoint);
 * header: add this header (value null: the key, from a working call or from the user);
 * model: use this model id in the body (one the provider listed).
 */
export type FixAction = { kind: 'url'; url: string } | { kind: 'header'; name: string; value: string | null; scheme?: 'Bearer' } | { kind: 'model'; model: string };

export interface DiagnosisContext {
  exchange: Exchange;
  call: ModelCall | null;
  responseText: string | null;
  /** Exchanges captured shortly before this one, newest first. */
  earlier: Exchange[];
  /** Model ids the same host listed in a captured /models response, if any. */
  modelsListed: string[] | null;
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
  return exchangeUrl({ ...ex.request, scheme: ex.request.scheme === 'wss' ? 'https' : ex.request.scheme === 'ws' ? 'http' : ex.request.scheme, path: `${path}${query}` });
}

/** A known relay's documented base with the endpoint this call asked for (`/chat/completions`), as a URL to try. */
function onDocumentedBase(ex: Exchange, entry: string): FixAction | undefined {
  const endpoint = ENDPOINTS.find((e) => pathname(ex).endsWith(e));
  return endpoint ? { kind: 'url', url: `${documentedBase(entry)}${endpoint}` } : undefined;
}

const SENT_KEY_HEADERS = ['authorization', 'x-api-key', 'api-key', 'x-goog-api-key'];

function sentKey(ex: Exchange): string | null {
  for (const name of SENT_KEY_HEADERS) {
    const value = headerValue(ex.request.headers, name);
    if (value) return value;
  }
  const key = /[?&](key|api_key|api-key)=([^&]+)/.exec(ex.request.path);
  return key ? percentDecoded(key[2]) : null;
}

/** 404 on a path that says an endpoint or the version twice: the base_url already had it. */
export const repeatedEndpoint: Rule = (ctx) => {
  if (status(ctx) !== 404) return null;
  const path = pathname(ctx.exchange);
  const doubled = ENDPOINTS.flatMap((a) => ENDPOINTS.map((b) => `${a}${b}`)).find((twice) => path.includes(twice));
  const doubledVersion = /\/(v\d+(?:beta)?)\/\1\//.exec(path);
  if (!doubled && !doubledVersion) return null;
  let base: string;
  if (doubled) {
    const first = ENDPOINTS.find((e) => doubled.startsWith(e))!;
    base = path.slice(0, path.indexOf(doubled));
    const appended = doubled.slice(first.length);
    return {
      rule: 'repeated-endpoint',
      severity: 'error',
      summary: `The URL ends in ${doubled}: the client's base_url already ends in ${first}, and the client appended ${appended} to it.`,
      fix: `Set base_url = "${origin(ctx.exchange)}${base}" (without ${first}).${appended === '/responses' ? ' Codex always appends /responses: it speaks only the Responses API since early 2026 (wire_api = "chat" was removed).' : ''}`,
      action: { kind: 'url', url: withPath(ctx.exchange, path.replace(doubled, appended)) },
    };
  }
  const version = doubledVersion![1];
  base = path.slice(0, path.indexOf(`/${version}/${version}/`)) + `/${version}`;
  return {
    rule: 'repeated-endpoint',
    severity: 'error',
    summary: `The URL says /${version}/${version}/: the base_url ends in /${version} and the client added /${version} again.`,
    fix: `Set base_url = "${origin(ctx.exchange)}${base}".`,
    action: { kind: 'url', url: withPath(ctx.exchange, path.replace(`/${version}/${version}/`, `/${version}/`)) },
  };
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
  return {
    rule: 'html-answer',
    severity: 'error',
    summary: `${s} with an HTML page from ${host}: the base_url points at its website, not at its API (${pathname(ctx.exchange)} is not an API route there).`,
    fix: known
      ? `Set base_url to ${inClientForm(documentedBase(known[1]), ctx.exchange.request)} (the documented API base URL), and let the client add the endpoint.`
      : "Set base_url to the provider's documented API base URL (usually ending in /v1, often under /api), not its website's address.",
    ...(known ? { action: onDocumentedBase(ctx.exchange, known[1]) } : {}),
  };
};

export const unknownRoute: Rule = (ctx) => {
  if (status(ctx) !== 404 || repeatedEndpoint(ctx) || isHtml(ctx)) return null;
  const message = providerError(ctx.responseText) ?? '';
  if (!/invalid url|no route|not found|unknown (url|route|path)|路由/i.test(message)) return null;
  const host = ctx.exchange.request.host.replace(/^www\./, '');
  const known = Object.entries(KNOWN_RELAYS).find(([h]) => host === h || host.endsWith(`.${h}`));
  return {
    rule: 'unknown-route',
    severity: 'error',
    summary: `${host} has no route ${ctx.exchange.request.method} ${pathname(ctx.exchange)} ("${message.slice(0, 120)}").`,
    fix: known
      ? `This relay's documented base URL is ${known[1]}: set base_url to ${inClientForm(documentedBase(known[1]), ctx.exchange.request)}, and let the client add the endpoint.`
      : `Check the relay's documented base URL (usually ending in /v1) and set base_url to it, without the endpoint path.`,
    ...(known ? { action: onDocumentedBase(ctx.exchange, known[1]) } : {}),
  };
};

/** Where each dialect sends its key. */
function keyHeaderFor(call: ModelCall | null): FixAction {
  if (call?.dialect === 'anthropic-messages') return { kind: 'header', name: 'x-api-key', value: null };
  if (call?.dialect === 'gemini') return { kind: 'header', name: 'x-goog-api-key', value: null };
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
  if (sentKey(ctx.exchange) || outOfCredit(ctx)) return null;
  return {
    rule: 'missing-key',
    severity: 'error',
    summary: `${s}: the request carried no API key (no Authorization, x-api-key, api-key or key= parameter), so the provider refused it.`,
    fix:
      'The client did not attach the key. For Codex, in [model_providers.NAME]: env_key = "YOUR_KEY_VARIABLE" (and export that variable), or the line that always works: http_headers = { "Authorization" = "Bearer YOUR_KEY" }; ' +
      'since Codex 0.149 a provider with requires_openai_auth = false no longer sends the auth.json key.',
    action: keyHeaderFor(ctx.call),
  };
};

export const keyRejected: Rule = (ctx) => {
  const s = status(ctx);
  if (s !== 401 && s !== 403) return null;
  const key = sentKey(ctx.exchange);
  if (!key || outOfCredit(ctx)) return null;
  const message = providerError(ctx.responseText);
  if (s === 403 && message && /model/i.test(message)) return null; // a model permission, not the key
  return {
    rule: 'key-rejected',
    severity: 'error',
    summary: `${s}: the provider rejected the key ${key.replace(/^(Bearer|Basic)\s+/i, '')}${message ? ` ("${message.slice(0, 120)}")` : ''}.`,
    fix: `Check that this key (the masked tail tells which) belongs to ${ctx.exchange.request.host}, is active and has credit; keys of one relay do not work on another.`,
  };
};

export const modelUnavailable: Rule = (ctx) => {
  const s = status(ctx);
  if (s !== 400 && s !== 403 && s !== 404 && s !== 503) return null;
  const message = providerError(ctx.responseText) ?? '';
  if (!/model|模型/i.test(message) || !/not (found|exist|allowed|available|supported)|does not exist|no available|无可用渠道|不存在|invalid model|unknown model|unsupported model/i.test(message)) return null;
  // "Unsupported parameter: 'temperature' is not supported with this model" names a parameter, not the model.
  const param = str(obj(obj(parseJson(ctx.responseText)).error).param);
  if ((param && param !== 'model') || /unsupported (parameter|value)/i.test(message)) return null;
  const requested = ctx.call?.requestedModel;
  const listed = ctx.modelsListed?.length ? ` This provider listed: ${ctx.modelsListed.slice(0, 30).join(', ')}${ctx.modelsListed.length > 30 ? ', ...' : ''}.` : '';
  return {
    rule: 'model-unavailable',
    severity: 'error',
    summary: `The provider does not offer ${requested ? `model "${requested}"` : 'the requested model'} to this key or group ("${message.slice(0, 160)}").`,
    fix: `Use a model id exactly as the provider lists it (GET ${origin(ctx.exchange)}/v1/models).${listed}`,
    ...(ctx.modelsListed?.length ? { action: { kind: 'model' as const, model: closestModel(requested ?? '', ctx.modelsListed) } } : {}),
  };
};

/**
 * OpenRouter relays a provider's refusal inside its own: `error.metadata.raw` holds what the
 * provider said, `error.metadata.provider_name` who it was. That is the real reason.
 */
function relayedProviderError(text: string | null): { provider: string | null; raw: string } | null {
  const metadata = obj(obj(obj(parseJson(text)).error).metadata);
  const raw = typeof metadata.raw === 'string' ? metadata.raw : metadata.raw === undefined ? null : JSON.stringify(metadata.raw);
  return raw ? { provider: str(metadata.provider_name), raw } : null;
}

export const rateLimited: Rule = (ctx) => {
  if (status(ctx) !== 429) return null;
  const retryAfter = headerValue(ctx.exchange.response?.headers ?? [], 'retry-after');
  const relayed = relayedProviderError(ctx.responseText);
  const message = relayed ? `${relayed.provider ?? 'the provider'} says: ${relayed.raw}` : (providerError(ctx.responseText) ?? '');
  const quota = /quota|insufficient|balance|credit|余额|额度/i.test(message);
  return {
    rule: 'rate-limited',
    severity: quota ? 'error' : 'warning',
    summary: quota ? `429: the account is out of quota or credit ("${message.slice(0, 200)}").` : `429: rate limited${retryAfter ? `, retry after ${retryAfter} s` : ''}${message ? ` ("${message.slice(0, 200)}")` : ''}.`,
    fix: quota ? 'Top up the account or use another key; retrying will not help.' : `Slow down or retry later${retryAfter ? ` (the provider asks for ${retryAfter} s)` : ''}.`,
  };
};

/** Where the known relays let an account top up its credit. */
const TOP_UP: Record<string, string> = { 'openrouter.ai': 'https://openrouter.ai/settings/credits' };

/** 402, or a refusal that says the credit is gone: no retry will help. */
export const outOfCredit: Rule = (ctx) => {
  const s = status(ctx);
  const message = providerError(ctx.responseText) ?? '';
  if (s !== 402 && !(s !== null && s >= 400 && s !== 429 && /insufficient (credits|balance|funds)|out of credits?|余额不足|额度不足/i.test(message))) return null;
  const host = ctx.exchange.request.host.replace(/^www\./, '');
  const topUp = Object.entries(TOP_UP).find(([h]) => host === h || host.endsWith(`.${h}`))?.[1];
  return {
    rule: 'out-of-credit',
    severity: 'error',
    summary: `${s}: ${host} refused the call because the account has no credit left${message ? ` ("${message.slice(0, 160)}")` : ''}.`,
    fix: `Top up the account${topUp ? ` (${topUp})` : " on the provider's billing page"} or use a key with credit; retrying will not help.`,
  };
};

/** Hosts of model providers themselves, as opposed to relays in front of them. */
const PROVIDER_HOSTS = /(^|\.)(api\.anthropic\.com|api\.openai\.com|generativelanguage\.googleapis\.com|aiplatform\.googleapis\.com|api\.mistral\.ai|api\.deepseek\.com|api\.groq\.com|api\.x\.ai|openai\.azure\.com|api\.githubcopilot\.com|chatgpt\.com)$/i;

export const serverError: Rule = (ctx) => {
  const s = status(ctx);
  if (s === null || s < 500 || (s === 503 && modelUnavailable(ctx))) return null;
  const message = providerError(ctx.responseText) ?? '';
  const quoted = message ? ` ("${message.slice(0, 120)}")` : '';
  const host = ctx.exchange.request.host;
  // Worded by who answered: the provider itself, or a relay (and then whether the failure is behind it).
  if (PROVIDER_HOSTS.test(host)) {
    const overloaded = s === 529 || s === 503 || /overload|capacity|unavailable/i.test(message);
    return {
      rule: 'server-error',
      severity: 'error',
      summary: `${s}: ${host}, the provider itself, ${overloaded ? 'is overloaded' : 'failed'}${quoted}.`,
      fix: overloaded ? 'Retry with backoff, or use another model for now; nothing in your configuration causes this.' : "Retry later; if it persists, check the provider's status page.",
    };
  }
  const upstream = /upstream|上游|provider returned|bad gateway from/i.test(message) || s === 502 || s === 504;
  return {
    rule: 'server-error',
    severity: 'error',
    summary: upstream ? `${s} from behind the relay: the model provider it forwards to failed${quoted}.` : `${s}: the relay itself failed${quoted}.`,
    fix: upstream ? 'Retry, or pick another provider/model on the relay; nothing in your configuration causes this.' : 'Retry later; if it persists, report it to the relay with the time of this call.',
  };
};

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
  const equivalent = /quota|insufficient|credit|balance|billing|rate.?limit|too many|resource.?exhausted|\b429\b|余额|额度/i.test(reason) ? 429 : /overload|capacity|unavailable|\b529\b|\b503\b/i.test(reason) ? 503 : 500;
  const asStatus: DiagnosisContext = {
    ...ctx,
    exchange: { ...ctx.exchange, response: { ...(ctx.exchange.response ?? { statusText: '', httpVersion: '1.1', headers: [] }), status: equivalent, headers: [] } },
    responseText: JSON.stringify({ error: { message: reason } }),
  };
  const same = equivalent === 429 ? rateLimited(asStatus) : serverError(asStatus);
  const summary = same ? same.summary.replace(/^\d{3}(: | from behind the relay: )/, '') : reason;
  const streamed = ctx.exchange.streamKind !== null || ctx.call.stream;
  return {
    rule: 'stream-error',
    severity: same?.severity ?? 'error',
    summary: streamed ? `The stream began with ${s} and then failed: ${summary}` : `The answer came with status ${s} but is an error: ${summary}`,
    fix: same?.fix ?? (streamed ? 'Retry; the provider reported this error in the middle of the stream.' : 'Retry; the provider (or the relay in front of it) reported this error with a success status, so clients may not see it as one.'),
  };
};

/** Gemini refused the prompt itself (promptFeedback.blockReason): the prompt or the safety settings decide, not a retry. */
export const promptBlocked: Rule = (ctx) => {
  const reason = /^prompt blocked: (.+)$/.exec(ctx.call?.answer.refusal ?? '')?.[1];
  if (!reason) return null;
  return {
    rule: 'prompt-blocked',
    severity: 'error',
    summary: `The provider refused the prompt itself (blockReason ${reason}): no answer was generated.`,
    fix:
      reason === 'SAFETY'
        ? 'Rephrase the prompt, or relax the request\'s safetySettings for the category that fired (threshold BLOCK_ONLY_HIGH or BLOCK_NONE); the same prompt gets the same refusal.'
        : 'Change the prompt (the block reason says what in it was refused); the same prompt gets the same refusal.',
  };
};

/** How providers end an answer their content filter stopped: OpenAI and Azure, Gemini, Anthropic. */
const FILTERED_FINISH = /^(content_filter|SAFETY|PROHIBITED_CONTENT|BLOCKLIST|SPII|IMAGE_SAFETY|refusal)$/;

/**
 * The provider's content filter refused the prompt (Azure OpenAI's 400 `content_filter`) or
 * stopped the answer (finish_reason `content_filter`, Gemini's `SAFETY`, Anthropic's `refusal`).
 */
export const contentFiltered: Rule = (ctx) => {
  const s = status(ctx);
  const error = obj(obj(parseJson(ctx.responseText)).error);
  const message = providerError(ctx.responseText) ?? '';
  const promptRefused = s !== null && s >= 400 && s < 500 && (str(error.code) === 'content_filter' || /content management policy|ResponsibleAIPolicyViolation|content_policy_violation/i.test(`${message} ${JSON.stringify(error.innererror ?? '')}`));
  const finish = ctx.call?.answer?.finishReason ?? null;
  if (promptRefused) {
    return {
      rule: 'content-filtered',
      severity: 'error',
      summary: `${s}: the provider's content filter refused the prompt ("${message.slice(0, 200)}").`,
      fix: "Rephrase the prompt (or the conversation before it); on Azure OpenAI the filter is the deployment's (Azure AI Foundry, Guardrails + controls, Content filters). The same prompt gets the same refusal.",
    };
  }
  if (finish === null || !FILTERED_FINISH.test(finish) || (s !== null && s >= 400)) return null;
  return {
    rule: 'content-filtered',
    severity: 'warning',
    summary: `The provider stopped the answer with finish reason ${finish}: its ${finish === 'refusal' ? 'model declined to go on' : 'content filter fired'}, and what arrived is partial.`,
    fix:
      finish === 'content_filter'
        ? "Rephrase the prompt; on Azure OpenAI the filter is the deployment's (Azure AI Foundry, Content filters)."
        : finish === 'refusal'
          ? 'Rephrase the request; the same conversation is likely to be declined again.'
          : "Rephrase the prompt, or relax the request's safetySettings for the category that fired.",
  };
};

/** What a provider's 400 says about the request's length or its parameters. */
const TOO_LONG = /context.length|context window|maximum context|prompt is too long|input is too long|too many (input )?tokens|reduce the length|context_length_exceeded|exceeds the (maximum|limit)|超出.*(长度|上下文)|上下文.*(过长|超)/i;
const UNSUPPORTED = /unsupported (parameter|value)|is not supported|not supported with|unrecognized request argument|unknown (parameter|field|name)|extra inputs are not permitted|additional properties|unexpected (field|parameter|keyword)/i;

/**
 * A 400, 413 or 422 to a model call that no more specific rule explains: the provider's own
 * message, and what it usually means (the context window, a parameter the model does not take).
 */
export const requestRefused: Rule = (ctx) => {
  const s = status(ctx);
  if ((s !== 400 && s !== 413 && s !== 422) || !ctx.call) return null;
  if ([modelUnavailable, outOfCredit, contentFiltered, htmlAnswer, missingKey, keyRejected, unknownRoute, repeatedEndpoint].some((rule) => rule(ctx))) return null;
  const message = providerError(ctx.responseText);
  if (!message) return null;
  const quoted = `"${message.slice(0, 240)}"`;
  if (s === 413 || TOO_LONG.test(message)) {
    return {
      rule: 'request-refused',
      severity: 'error',
      summary: `${s}: the request is longer than the model takes (${quoted}).`,
      fix: 'Start a new session or shorten this one (Codex: /compact; Cherry Studio: fewer context messages), or use a model with a longer context window; the same request gets the same answer.',
    };
  }
  return {
    rule: 'request-refused',
    severity: 'error',
    summary: UNSUPPORTED.test(message) ? `${s}: the provider does not take something this client sent (${quoted}).` : `${s}: the provider refused the request as it was sent (${quoted}).`,
    fix: UNSUPPORTED.test(message)
      ? 'Turn off the client setting that sends what the message names (a reasoning effort, temperature on a reasoning model, a tool type), or pick a model that takes it.'
      : 'Change what the message names; the same request gets the same answer.',
  };
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
  const after = output !== undefined ? ` after ${output} output tokens` : '';
  if (finish === 'model_context_window_exceeded') {
    return {
      rule: 'output-limit',
      severity: 'warning',
      summary: `The answer stopped${after} because the conversation filled the model's context window (stop reason ${finish}).`,
      fix: 'Start a new session or shorten this one (Codex: /compact), or use a model with a longer context window.',
    };
  }
  if (!OUTPUT_LIMIT.test(finish)) return null;
  return {
    rule: 'output-limit',
    severity: 'warning',
    summary: `The answer stopped at the output token limit${after} (finish reason ${finish}): it is cut, not finished.`,
    fix: "Raise the client's output limit (max_tokens or max_completion_tokens for Chat Completions, max_output_tokens for the Responses API, max_tokens for Anthropic, generationConfig.maxOutputTokens for Gemini), or ask for less; a reasoning model spends part of it thinking.",
  };
};

export const websocketFallback: Rule = (ctx) => {
  const ex = ctx.exchange;
  if (ex.request.method !== 'POST' || !pathname(ex).endsWith('/responses')) return null;
  const refused = ctx.earlier.find(
    (e) => e.request.host === ex.request.host && pathname(e) === pathname(ex) && (e.request.scheme === 'wss' || e.request.scheme === 'ws') && [404, 405, 426].includes(e.response?.status ?? 0) && ex.request.startedAt - e.request.startedAt < 30_000,
  );
  if (!refused) return null;
  return {
    rule: 'websocket-fallback',
    severity: 'info',
    summary: `The WebSocket to ${pathname(ex)} was refused (${refused.response!.status}) and the client fell back to HTTP: harmless.`,
    fix: 'Codex tries a WebSocket first when its provider sets supports_websockets = true; set it to false (or remove it) for this provider to skip the attempt.',
  };
};

export const untrustedCa: Rule = (ctx) => {
  const ex = ctx.exchange;
  // A handshake that only ran out of time is a slow or stuck client, not a verdict on the CA.
  if (ex.state !== 'proxy_error' || !/TLS handshake/.test(ex.error ?? '') || !/does not trust/.test(ex.error ?? '')) return null;
  return {
    rule: 'untrusted-ca',
    severity: 'error',
    summary: `A client closed its TLS handshake with wirelog for ${ex.request.host}: it does not trust the wirelog CA (Codex then prints "Reconnecting... waiting for network").`,
    fix: 'Start the client with `wirelog run -- <command>`, or set its CA variable: Codex CODEX_CA_CERTIFICATE, Node NODE_EXTRA_CA_CERTS, Python REQUESTS_CA_BUNDLE / SSL_CERT_FILE, curl CURL_CA_BUNDLE (`wirelog env` prints them all).',
  };
};

/** A client set up for another kind of proxy: wirelog recorded what it spoke (proxy/server.ts). */
export const wrongProtocol: Rule = (ctx) => {
  const ex = ctx.exchange;
  const said = ex.state === 'proxy_error' ? /^the client spoke ([^:]+): (.*)$/.exec(ex.error ?? '') : null;
  if (!said) return null;
  return {
    rule: 'wrong-protocol',
    severity: 'error',
    summary: `A client spoke ${said[1]} to wirelog's port, which takes plain HTTP/1.1: the client is set up for another kind of proxy or server.`,
    fix: said[2][0].toUpperCase() + said[2].slice(1) + '.',
  };
};

export const truncatedStream: Rule = (ctx) => {
  if (ctx.call?.ending !== 'truncated') return null;
  const ex = ctx.exchange;
  // Events storage left out (it was behind or failing) reached the client: a missing final event
  // in such a record is no evidence that the stream was cut. A diagnosis only from complete evidence.
  if (eventsShed(ex.notes)) return null;
  const who =
    ex.state === 'aborted'
      ? 'the client closed the connection (it gave up or timed out)'
      : ex.state === 'upstream_error'
        ? 'the provider reset the connection'
        : ex.state === 'interrupted'
          ? 'wirelog stopped while it was open'
          : 'the provider ended the stream without its final event';
  return {
    rule: 'truncated-stream',
    severity: 'error',
    summary: `The stream stopped before its terminal event: ${who}.`,
    fix:
      ex.state === 'aborted'
        ? "Check the client's timeout (a long reasoning pause can exceed it) and its logs."
        : 'Retry; if it happens often with this relay, the relay drops long streams (try another route or a shorter max output).',
  };
};

export const RULES: Record<string, Rule> = {
  'repeated-endpoint': repeatedEndpoint,
  'unknown-route': unknownRoute,
  'html-answer': htmlAnswer,
  'missing-key': missingKey,
  'key-rejected': keyRejected,
  'model-unavailable': modelUnavailable,
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
};

export function diagnose(ctx: DiagnosisContext): Diagnosis[] {
  return Object.values(RULES)
    .map((rule) => rule(ctx))
    .filter((d): d is Diagnosis => d !== null);
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function worst(diagnoses: Diagnosis[]): Diagnosis | null {
  return [...diagnoses].sort((a, b) => ORDER[a.severity] - ORDER[b.severity])[0] ?? null;
}
