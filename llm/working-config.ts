// What to type into each client for a call that worked: Codex's provider block and Cherry
// Studio's API address, derived from the call exactly as it went out; and which client sent a
// call, so that a fix is written in that client's own terms.
import { clientOrigin, headerValue, type Exchange, type Header } from '../model/exchange.ts';
import { codexConfig, CodexConfigError, type CodexConfig } from './codex-provider-block.ts';
import type { ModelCall } from './model-call.ts';

export interface CherryStudioSettings {
  /** The whole endpoint URL ending in "#": the one form every Cherry Studio version uses as typed. */
  apiAddress: string;
  providerType: 'OpenAI';
}

/** The clients whose settings wirelog can name; 'other' gets the generic wording. */
export type ClientKind = 'codex' | 'cherry-studio' | 'openai-node' | 'openai-python' | 'curl' | 'other';

export interface SendingClient {
  kind: ClientKind;
  /** The app by name and version ("Cherry Studio 1.5.7", "Codex 0.169.0"), else the User-Agent's first product; null when the call sent none. */
  label: string | null;
}

export interface ClientConfig {
  /** Who sent the call, so the block for that client comes first. */
  client: SendingClient;
  codex: CodexConfig | null;
  /** Why there is no Codex block (not a Responses call, for instance). */
  codexNote: string | null;
  cherryStudio: CherryStudioSettings | null;
}

/**
 * Which client sent a call, from its User-Agent and the headers it adds. Cherry Studio is an
 * Electron app: its User-Agent is Chromium's with `CherryStudio/1.x.y` inside (the Mozilla/5.0
 * prefix says nothing), and it sends X-Title: Cherry Studio and HTTP-Referer: https://cherry-ai.com.
 * Codex sends `codex_exec/0.169.0 (...)` (codex_cli_rs, codex_vscode) and an `originator` header;
 * the openai SDKs send `OpenAI/JS 6.x` or `OpenAI/Python 1.x` and x-stainless-lang.
 */
export function sendingClient(headers: Header[]): SendingClient {
  const ua = headerValue(headers, 'user-agent') ?? '';
  const cherry = /CherryStudio\/([\w.-]+)/i.exec(ua);
  if (cherry) return { kind: 'cherry-studio', label: `Cherry Studio ${cherry[1]}` };
  if (
    /^cherry studio$/i.test(headerValue(headers, 'x-title') ?? '') ||
    /cherry-ai\.com/i.test(headerValue(headers, 'http-referer') ?? '')
  )
    return { kind: 'cherry-studio', label: 'Cherry Studio' };
  const codex = /^codex[_-][\w-]+\/([\w.-]+)/i.exec(ua);
  if (codex) return { kind: 'codex', label: `Codex ${codex[1]}` };
  if (/^codex/i.test(headerValue(headers, 'originator') ?? '')) return { kind: 'codex', label: 'Codex' };
  const sdk = /^OpenAI\/(JS|Python) ([\w.-]+)/i.exec(ua);
  const stainless = (headerValue(headers, 'x-stainless-lang') ?? '').toLowerCase();
  const sdkVersion = sdk?.[2] ?? headerValue(headers, 'x-stainless-package-version') ?? '';
  if (sdk?.[1].toLowerCase() === 'js' || (!sdk && stainless === 'js'))
    return { kind: 'openai-node', label: `openai (Node) ${sdkVersion}`.trim() };
  if (sdk?.[1].toLowerCase() === 'python' || (!sdk && stainless === 'python'))
    return { kind: 'openai-python', label: `openai (Python) ${sdkVersion}`.trim() };
  const curl = /^curl\/([\w.-]+)/i.exec(ua);
  if (curl) return { kind: 'curl', label: `curl ${curl[1]}` };
  // Another app: its first product token (python-requests/2.32.3), not a browser's Mozilla/5.0.
  const products = [...ua.matchAll(/([A-Za-z][\w.-]*)\/([\w.-]+)/g)].filter(
    (m) => !/^(Mozilla|AppleWebKit|Chrome|Safari|Gecko|Electron|Version|Mobile)$/i.test(m[1]),
  );
  // A browser (or a webview that says nothing of its app): its browser by name.
  const first = products[0] ?? [...ua.matchAll(/(Firefox|Edg|Chrome|Safari)\/([\w.-]+)/g)][0];
  return { kind: 'other', label: first ? `${first[1]} ${first[2]}` : ua ? ua.slice(0, 60) : null };
}

/** Cherry Studio's API address for a Chat Completions URL. */
export function cherryStudioAddress(endpointUrl: string): string {
  // What Cherry Studio appends to an address has changed between versions (1.5 adds
  // /v1/chat/completions and drops the v1 after a trailing "/"; later versions strip the "/"
  // first); an address ending in "#" is used as typed by all of them.
  return `${endpointUrl}#`;
}

export function cherryStudioSettings(
  exchange: Exchange,
  call: ModelCall,
  gateway?: string,
): CherryStudioSettings | null {
  if (call.dialect !== 'openai-chat') return null;
  return {
    apiAddress: cherryStudioAddress(`${clientOrigin(exchange.request, gateway)}${exchange.request.path.split('?')[0]}`),
    providerType: 'OpenAI',
  };
}

/**
 * A replay is sent by wirelog through its own gateway and stored as a proxy call (no `via`):
 * the way the client must write the URL is the way the call it replays came. The gateway's
 * address of the first call of the chain when that call came through the gateway, else undefined.
 */
export function gatewayOfReplayed(exchange: Exchange, get: (id: number) => Exchange | null): string | undefined {
  let first: Exchange | null = exchange;
  // Bounded: a replay of a replay of ... ends at the captured call (ids only go down).
  for (let hops = 0; first?.request.replayOf !== undefined && hops < 50; hops++) first = get(first.request.replayOf);
  if (!first || first === exchange || first.request.via !== 'gateway') return undefined;
  return `http://${headerValue(first.request.headers, 'host') ?? '127.0.0.1:8899'}`;
}

/** For a model call that worked (2xx, Chat Completions or Responses); null otherwise. `gateway`: see gatewayOfReplayed. */
export function clientConfigOf(exchange: Exchange, call: ModelCall | null, gateway?: string): ClientConfig | null {
  const status = exchange.response?.status ?? 0;
  if (!call || status < 200 || status >= 300 || (call.dialect !== 'openai-chat' && call.dialect !== 'openai-responses'))
    return null;
  let codex: CodexConfig | null = null;
  let codexNote: string | null = null;
  try {
    codex = codexConfig(exchange, call, gateway);
  } catch (err) {
    if (!(err instanceof CodexConfigError)) throw err;
    codexNote = err.message;
  }
  return {
    client: sendingClient(exchange.request.headers),
    codex,
    codexNote,
    cherryStudio: cherryStudioSettings(exchange, call, gateway),
  };
}
