// A working Codex provider block, derived from a successful captured call.
import { clientOrigin, headerValue, type Exchange } from '../model/exchange.ts';
import { hostVariableWord, keyVariableName } from '../model/env-name.ts';
import type { ModelCall } from './model-call.ts';
import { serverText } from '../i18n/stored-text.ts';

export interface CodexConfig {
  /** The TOML to paste into ~/.codex/config.toml. */
  toml: string;
  /** What else to do (export the key), or why this exchange needs more than a config block: English (server.advice.codex*), rendered where shown. */
  notes: string[];
}

/** The provider's table name: the word its key variable is named by, in lower case (openrouter, wirelog_127_0_0_1). */
function providerName(host: string): string {
  return hostVariableWord(host).toLowerCase();
}

/**
 * A TOML basic string: every captured text (a model name, a path) is quoted so that a `"`, a
 * backslash or a line break in it stays inside the string instead of adding TOML of its own.
 */
export function tomlString(text: string): string {
  const escaped = text.replace(/["\\\u0000-\u001f\u007f]/g, (c) => {
    const named: Record<string, string> = {
      '"': '\\"',
      '\\': '\\\\',
      '\b': '\\b',
      '\t': '\\t',
      '\n': '\\n',
      '\f': '\\f',
      '\r': '\\r',
    };
    return named[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return `"${escaped}"`;
}

/** A TOML key: bare when TOML allows it, else quoted. */
function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/** A note is printed as one `# ` comment line: a captured line break must not end it. */
function oneLine(text: string): string {
  return text.replace(
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Why no block can be made, as data too (`reason`), so a caller can say it in its own language. */
export class CodexConfigError extends Error {
  constructor(
    message: string,
    readonly reason: { kind: 'not-a-model-call' | 'failed'; id: number; status: string },
  ) {
    super(message);
  }
}

/** `gateway`: the proxy's origin, to print the gateway form for a call that came through the proxy. */
export function codexConfig(exchange: Exchange, call: ModelCall | null, gateway?: string): CodexConfig {
  const status = exchange.response?.status ?? null;
  if (!call || (call.dialect !== 'openai-responses' && call.dialect !== 'openai-chat')) {
    throw new CodexConfigError(
      `exchange ${exchange.id} is not a Responses or Chat Completions call, so it says nothing about a Codex provider`,
      { kind: 'not-a-model-call', id: exchange.id, status: String(status ?? exchange.state) },
    );
  }
  if (status === null || status >= 400) {
    throw new CodexConfigError(
      `exchange ${exchange.id} failed (${status ?? exchange.state}): pick one that worked, or run \`wirelog doctor ${exchange.id}\` to see why it failed`,
      { kind: 'failed', id: exchange.id, status: String(status ?? exchange.state) },
    );
  }
  const name = providerName(exchange.request.host);
  const path = exchange.request.path.split('?')[0];
  const endpoint = call.dialect === 'openai-responses' ? '/responses' : '/chat/completions';
  const origin = clientOrigin(exchange.request, gateway);
  const baseUrl = `${origin}${path.slice(0, path.length - endpoint.length)}`;
  const envKey = keyVariableName(exchange.request.host);
  const authorization = headerValue(exchange.request.headers, 'authorization');
  const otherKeyHeader = ['x-api-key', 'api-key'].find((h) => headerValue(exchange.request.headers, h));
  const lines = [
    `model = ${tomlString(call.requestedModel ?? call.respondedModel ?? 'MODEL')}`,
    `model_provider = ${tomlString(name)}`,
    '',
    `[model_providers.${tomlKey(name)}]`,
    `name = ${tomlString(name)}`,
    `base_url = ${tomlString(baseUrl)}`,
    'wire_api = "responses"',
  ];
  const notes: string[] = [];
  if (otherKeyHeader && !authorization) {
    lines.push(`http_headers = { ${tomlString(otherKeyHeader)} = "YOUR_KEY" }`);
    notes.push(serverText('en', 'advice.codexKeyHeader', { header: otherKeyHeader }));
  } else {
    lines.push(`env_key = ${tomlString(envKey)}`);
    const tail = authorization ? /(\*{4}.{4}|.{4})$/.exec(authorization.replace(/^Bearer\s+/i, ''))?.[0] : null;
    notes.push(
      tail
        ? serverText('en', 'advice.codexExportKeyEnding', { variable: envKey, tail: tail.replace(/^\*+/, '') })
        : serverText('en', 'advice.codexExportKey', { variable: envKey }),
    );
  }
  if (exchange.streamKind === 'websocket') lines.push('supports_websockets = true');
  if (call.dialect === 'openai-chat') {
    notes.unshift(serverText('en', 'advice.codexChat', { baseUrl }));
  }
  return { toml: lines.join('\n'), notes: notes.map(oneLine) };
}
