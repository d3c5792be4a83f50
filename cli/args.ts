import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { DEFAULT_HANDSHAKE_MS, DEFAULT_REQUEST_HEAD_MS, defaultMaxConnections } from '../proxy/connections.ts';
import { defaultDataDir } from './data-dir.ts';
import type { WirelogConfig } from './instance.ts';

import { otlpConfig } from './otlp-config.ts';
import { UsageError } from './usage-error.ts';
import { closestName } from './closest-name.ts';
import { t } from './language.ts';
import { maskPath } from '../model/secrets.ts';
import { parseUpstreamProxy, type UpstreamProxy } from '../proxy/upstream-proxy.ts';

export { UsageError };

export const CAPTURE_FLAGS = {
  'proxy-port': { type: 'string' },
  'ui-port': { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'keep-secrets': { type: 'boolean' },
  'upstream-ca': { type: 'string' },
  'insecure-upstream': { type: 'boolean' },
  'upstream-proxy': { type: 'string' },
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

/** What Node's parser says, as one line in the CLI's language (its own messages are English and can run to three lines). */
function flagError(command: string, err: NodeJS.ErrnoException, known: string[]): string {
  const flag = /'(--?[\w-]+)/.exec(err.message)?.[1] ?? '';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const suggestion = flag.startsWith('--')
      ? closestName(
          flag,
          known.map((name) => `--${name}`),
        )
      : null;
    return suggestion
      ? t('commands.flags.unknownSuggest', { flag, command, suggestion })
      : t('commands.flags.unknown', { flag, command });
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return t('commands.flags.unexpected', { arg: /'([^']*)'/.exec(err.message)?.[1] ?? '', command });
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(err.message)) return t('commands.flags.takesNoValue', { flag, command });
    // A value left out: `--har` at the end, or followed by the next flag (`--har --since ...`).
    return t(command === 'export' && flag === '--har' ? 'commands.flags.needsHarFile' : 'commands.flags.needsValue', {
      flag,
      command,
    });
  }
  return t('commands.flags.invalid', { message: err.message.split('\n')[0], command });
}

export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  args: string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(flagError(command, err as NodeJS.ErrnoException, [...Object.keys(options), 'lang']));
  }
}

export function port(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(t('commands.flags.port', { flag, value }));
  return n;
}

export function dataDirFrom(values: { 'data-dir'?: string }): string {
  return path.resolve(values['data-dir'] ?? defaultDataDir());
}

type CaptureValues = {
  [K in keyof typeof CAPTURE_FLAGS]?: (typeof CAPTURE_FLAGS)[K]['type'] extends 'boolean' ? boolean : string;
};

export function captureConfig(
  values: CaptureValues,
  defaults: { proxyPort: number; uiPort: number | null },
): WirelogConfig {
  const maxBodyMb = values['max-body-mb'] === undefined ? 50 : Number(values['max-body-mb']);
  if (!Number.isFinite(maxBodyMb) || maxBodyMb < 0)
    throw new UsageError(t('commands.flags.maxBodyMb', { value: values['max-body-mb'] }));
  const seconds = (
    flag: 'connect-timeout' | 'idle-timeout' | 'handshake-timeout' | 'request-head-timeout',
    fallback: number,
  ) => {
    const value = values[flag];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(t('commands.flags.seconds', { flag: `--${flag}`, value }));
    return n;
  };
  const host = values.host ?? '127.0.0.1';
  const proxyAuth = values['proxy-auth'];
  if (proxyAuth !== undefined && !/^[^:]+:.+$/.test(proxyAuth)) throw new UsageError(t('commands.flags.proxyAuth'));
  const maxDbMb = values['max-db-mb'] === undefined ? 2048 : Number(values['max-db-mb']);
  if (!Number.isFinite(maxDbMb) || maxDbMb < 1)
    throw new UsageError(t('commands.flags.maxDbMb', { value: values['max-db-mb'] }));
  const maxAgeDays = values['max-age-days'] === undefined ? undefined : Number(values['max-age-days']);
  if (maxAgeDays !== undefined && (!Number.isFinite(maxAgeDays) || maxAgeDays <= 0))
    throw new UsageError(t('commands.flags.maxAgeDays', { value: values['max-age-days'] }));
  const maxConnections =
    values['max-connections'] === undefined ? defaultMaxConnections() : Number(values['max-connections']);
  if (!Number.isInteger(maxConnections) || maxConnections < 1)
    throw new UsageError(t('commands.flags.maxConnections', { value: values['max-connections'] }));
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
    uiPort:
      defaults.uiPort === null && values['ui-port'] === undefined
        ? null
        : port(values['ui-port'], defaults.uiPort ?? 0, '--ui-port'),
    dataDir: dataDirFrom(values),
    keepSecrets: values['keep-secrets'] ?? false,
    upstreamCaFile: values['upstream-ca'],
    insecureUpstream: values['insecure-upstream'] ?? false,
    upstreamProxy: upstreamProxyFlag(values['upstream-proxy']),
    maxBodyMb,
    otlp: otlpConfig(values['otlp-endpoint'], values['otlp-content'] ?? false),
  };
}

/** --upstream-proxy's proxy, or a usage error naming what is wrong with it (its credentials masked). */
function upstreamProxyFlag(value: string | undefined): UpstreamProxy | undefined {
  if (value === undefined) return undefined;
  const parsed = parseUpstreamProxy(value);
  if (!('problem' in parsed)) return parsed;
  const shown = maskPath(value);
  throw new UsageError(
    parsed.problem === 'scheme'
      ? t('commands.flags.upstreamProxyScheme', { value: shown, scheme: parsed.scheme })
      : t('commands.flags.upstreamProxyInvalid', { value: shown }),
  );
}

/** The capture flags' lines of `start --help` and `run --help`, in the CLI's language. */
export function captureHelp(): string {
  return t('commands.capture.help');
}
