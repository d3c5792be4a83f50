// A working Codex provider block, derived from a successful captured call.
import { clientOrigin, headerValue, type Exchange } from '../model/exchange.ts';
import type { ModelCall } from './model-call.ts';

export interface CodexConfig {
  /** The TOML to paste into ~/.codex/config.toml. */
  toml: string;
  /** What else to do (export the key), or why this exchange needs more than a config block. */
  notes: string[];
}

function providerName(host: string): string {
  const labels = host.toLowerCase().split('.').filter((l) => !['api', 'www', 'gateway'].includes(l));
  return (labels[0] ?? 'relay').replace(/[^a-z0-9_-]/g, '_') || 'relay';
}

export class CodexConfigError extends Error {}

/** `gateway`: the proxy's origin, to print the gateway form for a call that came through the proxy. */
export function codexConfig(exchange: Exchange, call: ModelCall | null, gateway?: string): CodexConfig {
  const status = exchange.response?.status ?? null;
  if (!call || (call.dialect !== 'openai-responses' && call.dialect !== 'openai-chat')) {
    throw new CodexConfigError(`exchange ${exchange.id} is not a Responses or Chat Completions call, so it says nothing about a Codex provider`);
  }
  if (status === null || status >= 400) {
    throw new CodexConfigError(`exchange ${exchange.id} failed (${status ?? exchange.state}): pick one that worked, or run \`wirelog doctor ${exchange.id}\` to see why it failed`);
  }
  const name = providerName(exchange.request.host);
  const path = exchange.request.path.split('?')[0];
  const endpoint = call.dialect === 'openai-responses' ? '/responses' : '/chat/completions';
  const origin = clientOrigin(exchange.request, gateway);
  const baseUrl = `${origin}${path.slice(0, path.length - endpoint.length)}`;
  const envKey = `${name.toUpperCase().replace(/-/g, '_')}_API_KEY`;
  const authorization = headerValue(exchange.request.headers, 'authorization');
  const otherKeyHeader = ['x-api-key', 'api-key'].find((h) => headerValue(exchange.request.headers, h));
  const lines = [
    `model = "${call.requestedModel ?? call.respondedModel ?? 'MODEL'}"`,
    `model_provider = "${name}"`,
    '',
    `[model_providers.${name}]`,
    `name = "${name}"`,
    `base_url = "${baseUrl}"`,
    'wire_api = "responses"',
  ];
  const notes: string[] = [];
  if (otherKeyHeader && !authorization) {
    lines.push(`http_headers = { "${otherKeyHeader}" = "YOUR_KEY" }`);
    notes.push(`The call sent its key in ${otherKeyHeader}, not Authorization: put the key in http_headers (env_http_headers reads it from a variable).`);
  } else {
    lines.push(`env_key = "${envKey}"`);
    const tail = authorization ? /(\*{4}.{4}|.{4})$/.exec(authorization.replace(/^Bearer\s+/i, ''))?.[0] : null;
    notes.push(`export ${envKey}=<the key${tail ? ` ending in ${tail.replace(/^\*+/, '')}` : ''}> before starting Codex.`);
  }
  if (exchange.streamKind === 'websocket') lines.push('supports_websockets = true');
  if (call.dialect === 'openai-chat') {
    notes.unshift(
      `This was a Chat Completions call (another client). Codex speaks only the Responses API since early 2026, so it will POST ${baseUrl}/responses: check that this provider serves /responses; if it does not, Codex cannot use it directly.`,
    );
  }
  return { toml: lines.join('\n'), notes };
}
