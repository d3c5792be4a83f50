import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_HANDSHAKE_MS, DEFAULT_REQUEST_HEAD_MS, defaultMaxConnections } from '../proxy/connections.ts';
import { defaultDataDir, type WirelogConfig } from './instance.ts';

import { otlpConfig } from './otlp-config.ts';
import { UsageError } from './usage-error.ts';

export { UsageError };

export const CAPTURE_FLAGS = {
  'proxy-port': { type: 'string' },
  'ui-port': { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'keep-secrets': { type: 'boolean' },
  'upstream-ca': { type: 'string' },
  'insecure-upstream': { type: 'boolean' },
  'max-body-mb': { type: 'string' },
  'connect-timeout': { type: 'string' },
  'proxy-auth': { type: 'string' },
  'max-db-mb': { type: 'string' },
  'max-age-days': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'handshake-timeout': { type: 'string' },
  'request-head-timeout': { type: 'string' },
  'max-connections': { type: 'string' },
  'otlp-endpoint': { type: 'string' },
  'otlp-content': { type: 'boolean' },
} as const satisfies ParseArgsConfig['options'];

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(command: string, args: string[], options: T, allowPositionals = false) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(`${message} (see \`wirelog ${command} --help\`)`);
  }
}

function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a port number from 0 to 65535, not "${value}"`);
  return n;
}

export function dataDirFrom(values: { 'data-dir'?: string }): string {
  return path.resolve(values['data-dir'] ?? defaultDataDir());
}

type CaptureValues = { [K in keyof typeof CAPTURE_FLAGS]?: (typeof CAPTURE_FLAGS)[K]['type'] extends 'boolean' ? boolean : string };

export function captureConfig(values: CaptureValues, defaults: { proxyPort: number; uiPort: number | null }): WirelogConfig {
  const maxBodyMb = values['max-body-mb'] === undefined ? 50 : Number(values['max-body-mb']);
  if (!Number.isFinite(maxBodyMb) || maxBodyMb < 0) throw new UsageError(`--max-body-mb must be a number of megabytes (0 or more), not "${values['max-body-mb']}"`);
  const seconds = (flag: 'connect-timeout' | 'idle-timeout' | 'handshake-timeout' | 'request-head-timeout', fallback: number) => {
    const value = values[flag];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag} must be a number of seconds above 0, not "${value}"`);
    return n;
  };
  const host = values.host ?? '127.0.0.1';
  const proxyAuth = values['proxy-auth'];
  if (proxyAuth !== undefined && !/^[^:]+:.+$/.test(proxyAuth)) throw new UsageError('--proxy-auth must be user:password');
  const maxDbMb = values['max-db-mb'] === undefined ? 2048 : Number(values['max-db-mb']);
  if (!Number.isFinite(maxDbMb) || maxDbMb < 1) throw new UsageError(`--max-db-mb must be a number of megabytes (1 or more), not "${values['max-db-mb']}"`);
  const maxAgeDays = values['max-age-days'] === undefined ? undefined : Number(values['max-age-days']);
  if (maxAgeDays !== undefined && (!Number.isFinite(maxAgeDays) || maxAgeDays <= 0)) throw new UsageError(`--max-age-days must be a number of days above 0, not "${values['max-age-days']}"`);
  const maxConnections = values['max-connections'] === undefined ? defaultMaxConnections() : Number(values['max-connections']);
  if (!Number.isInteger(maxConnections) || maxConnections < 1) throw new UsageError(`--max-connections must be a whole number of connections (1 or more), not "${values['max-connections']}"`);
  return {
    maxDbMb,
    maxConnections,
    handshakeTimeoutS: seconds('handshake-timeout', DEFAULT_HANDSHAKE_MS / 1000),
    requestHeadTimeoutS: seconds('request-head-timeout', DEFAULT_REQUEST_HEAD_MS / 1000),
    maxAgeDays,
    proxyAuth,
    connectTimeoutS: seconds('connect-timeout', 30),
    idleTimeoutS: seconds('idle-timeout', 600),
    host,
    proxyPort: port(values['proxy-port'], defaults.proxyPort, '--proxy-port'),
    uiPort: defaults.uiPort === null && values['ui-port'] === undefined ? null : port(values['ui-port'], defaults.uiPort ?? 0, '--ui-port'),
    dataDir: dataDirFrom(values),
    keepSecrets: values['keep-secrets'] ?? false,
    upstreamCaFile: values['upstream-ca'],
    insecureUpstream: values['insecure-upstream'] ?? false,
    maxBodyMb,
    otlp: otlpConfig(values['otlp-endpoint'], values['otlp-content'] ?? false),
  };
}

export const CAPTURE_HELP = `  --proxy-port N         proxy port (default 8899)
  --ui-port N            viewer and API port (default 8900)
  --host ADDR            address to listen on (default 127.0.0.1)
  --data-dir DIR         database and CA (default $WIRELOG_HOME or ~/.wirelog)
  --keep-secrets         store API keys, cookies and tokens unmasked
  --upstream-ca FILE     also trust this PEM CA for upstream servers
  --insecure-upstream    do not check upstream certificates (local test servers)
  --max-body-mb N        bytes stored per body (default 50); the client always gets all of it
  --max-db-mb N          keep the database under N MB, deleting the oldest exchanges (default 2048)
  --max-age-days D       delete exchanges older than D days (default: keep)
  --proxy-auth U:P       require these credentials from clients (needed with a --host beyond loopback)
  --connect-timeout S    give up connecting to an upstream after S seconds (default 30)
  --idle-timeout S       give up on an upstream silent for S seconds (default 600; reasoning can be slow)
  --handshake-timeout S  close a CONNECT tunnel whose TLS handshake is not done after S seconds (default 10)
  --request-head-timeout S  close a client connection that sends no complete request head for S seconds (default 30)
  --max-connections N    client connections at once; more are refused with 503 (default from the open-file limit, at most 4096)
  --otlp-endpoint URL    also send every exchange as an OpenTelemetry span (OTLP over HTTP) to this collector
                         (or OTEL_EXPORTER_OTLP_ENDPOINT; OTEL_EXPORTER_OTLP_PROTOCOL http/protobuf or http/json)
  --otlp-content         put prompts and answers in the spans too (masked like everything else)`;
