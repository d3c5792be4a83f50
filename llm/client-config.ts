// What to type into each client for a call that worked: Codex's provider block and Cherry
// Studio's API address, derived from the call exactly as it went out.
import { clientOrigin, type Exchange } from '../model/exchange.ts';
import { codexConfig, CodexConfigError, type CodexConfig } from './codex-config.ts';
import type { ModelCall } from './model-call.ts';

export interface CherryStudioSettings {
  /** Cherry Studio appends /v1/chat/completions to its API address; "/" at the end drops the v1, "#" uses it as typed. */
  apiAddress: string;
  providerType: 'OpenAI';
}

export interface ClientConfig {
  codex: CodexConfig | null;
  /** Why there is no Codex block (not a Responses call, for instance). */
  codexNote: string | null;
  cherryStudio: CherryStudioSettings | null;
}

export function cherryStudioSettings(exchange: Exchange, call: ModelCall): CherryStudioSettings | null {
  if (call.dialect !== 'openai-chat') return null;
  const path = exchange.request.path.split('?')[0];
  const origin = clientOrigin(exchange.request);
  if (path.endsWith('/v1/chat/completions')) return { apiAddress: `${origin}${path.slice(0, -'/v1/chat/completions'.length)}`, providerType: 'OpenAI' };
  if (path.endsWith('/chat/completions')) return { apiAddress: `${origin}${path.slice(0, -'chat/completions'.length)}`, providerType: 'OpenAI' };
  return { apiAddress: `${origin}${path}#`, providerType: 'OpenAI' };
}

/** For a model call that worked (2xx, Chat Completions or Responses); null otherwise. */
export function clientConfigOf(exchange: Exchange, call: ModelCall | null): ClientConfig | null {
  const status = exchange.response?.status ?? 0;
  if (!call || status < 200 || status >= 300 || (call.dialect !== 'openai-chat' && call.dialect !== 'openai-responses')) return null;
  let codex: CodexConfig | null = null;
  let codexNote: string | null = null;
  try {
    codex = codexConfig(exchange, call);
  } catch (err) {
    if (!(err instanceof CodexConfigError)) throw err;
    codexNote = err.message;
  }
  return { codex, codexNote, cherryStudio: cherryStudioSettings(exchange, call) };
}
