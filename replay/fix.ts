// "Try this fix": a diagnosis's fix, as data (llm/diagnose.ts FixAction), turned into the edits
// of a replay. Pure: the caller says where a key may come from.
import type { FixAction } from '../llm/diagnose.ts';
import { exchangeUrl, type Exchange, type Header } from '../model/exchange.ts';
import { ReplayRefused, type ReplayEdits } from './request.ts';
import type { CapturedSecret } from './secret-guard.ts';
import { serverText } from '../i18n/stored-text.ts';

export interface FixSources {
  /** The request body as text, decoded from its Content-Encoding. */
  bodyText: string | null;
  /**
   * A key for this header that a working call to the target's host and port sent, if one is in
   * memory, with the origin it was captured for: the replay's guard decides whether it may go.
   */
  workingKey: (headerName: string, target: URL) => CapturedSecret | null;
}

function withHeader(headers: Header[], name: string, value: string): Header[] {
  return [...headers.filter(([n]) => n.toLowerCase() !== name.toLowerCase()), [name, value]];
}

/** Where the fixed call goes: the URL the user gave, else the exchange's own. */
function fixTarget(exchange: Exchange, edits: ReplayEdits): URL {
  try {
    return new URL(edits.url ?? exchangeUrl(exchange.request));
  } catch {
    return new URL(exchangeUrl(exchange.request));
  }
}

/** `what`: the English of the field the fix changes, as the catalogue has it (read back in the reader's language). */
function jsonBody(edits: ReplayEdits, sources: FixSources, what: string): Record<string, unknown> {
  try {
    const body = JSON.parse(edits.body ?? sources.bodyText ?? '') as unknown;
    if (body && typeof body === 'object' && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // said below
  }
  throw new ReplayRefused(serverText('en', 'api.bodyNotObject', { what }));
}

/** The body's output limit set to `max`, in the field this call already uses (else the one the diagnosis names, else its dialect's). */
function withOutputLimit(
  exchange: Exchange,
  body: Record<string, unknown>,
  max: number,
  field?: string,
): Record<string, unknown> {
  const generation = body.generationConfig;
  if (generation && typeof generation === 'object' && !Array.isArray(generation))
    return { ...body, generationConfig: { ...generation, maxOutputTokens: max } };
  const used = ['max_completion_tokens', 'max_output_tokens', 'max_tokens'].filter((field) => field in body);
  if (used.length) return { ...body, ...Object.fromEntries(used.map((field) => [field, max])) };
  if (field === 'generationConfig.maxOutputTokens') return { ...body, generationConfig: { maxOutputTokens: max } };
  return {
    ...body,
    [field ?? (/\/responses$/.test(exchange.request.path.split('?')[0]) ? 'max_output_tokens' : 'max_tokens')]: max,
  };
}

export function fixEdits(exchange: Exchange, action: FixAction, edits: ReplayEdits, sources: FixSources): ReplayEdits {
  switch (action.kind) {
    case 'max-tokens':
      return {
        ...edits,
        body: JSON.stringify(
          withOutputLimit(
            exchange,
            jsonBody(edits, sources, serverText('en', 'api.fixOutputLimit')),
            action.maxTokens,
            action.field,
          ),
        ),
        bodyEncoding: 'utf8',
      };
    case 'url':
      return { ...edits, url: action.url };
    case 'model': {
      // Gemini names the model in the path; the others in the body.
      if (/\/models\/[^/:]+:/.test(exchange.request.path)) {
        const url = new URL(
          edits.url ??
            `${exchange.request.scheme}://${exchange.request.host}:${exchange.request.port}${exchange.request.path}`,
        );
        url.pathname = url.pathname.replace(/\/models\/[^/:]+:/, `/models/${encodeURIComponent(action.model)}:`);
        return { ...edits, url: url.toString() };
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(edits.body ?? sources.bodyText ?? '') as Record<string, unknown>;
      } catch {
        throw new ReplayRefused(serverText('en', 'api.bodyNotJson'));
      }
      return { ...edits, body: JSON.stringify({ ...body, model: action.model }), bodyEncoding: 'utf8' };
    }
    case 'header': {
      const headers = edits.headers ?? exchange.request.headers;
      const given = headers.find(([n]) => n.toLowerCase() === action.name.toLowerCase());
      if (given && !/\*{4}/.test(given[1])) return { ...edits, headers };
      if (action.value !== null) return { ...edits, headers: withHeader(headers, action.name, action.value) };
      const known = sources.workingKey(action.name, fixTarget(exchange, edits));
      if (!known) {
        const said = { header: action.name, host: exchange.request.host, scheme: action.scheme ?? '' };
        throw new ReplayRefused(serverText('en', action.scheme ? 'api.fixNoKey' : 'api.fixNoKeyPlain', said), [
          action.name,
        ]);
      }
      return {
        ...edits,
        headers: withHeader(headers, action.name, known.value),
        borrowedSecrets: [...(edits.borrowedSecrets ?? []), known],
      };
    }
  }
}
