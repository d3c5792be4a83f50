// Where spans go, from --otlp-endpoint or OpenTelemetry's own variables; null: export is off.
import { UsageError } from './usage-error.ts';
import { t } from './language.ts';

export interface OtlpConfig {
  /** The traces URL itself (…/v1/traces). */
  url: string;
  protocol: 'http/protobuf' | 'http/json';
  headers: Record<string, string>;
  serviceName: string;
  /** Prompts and answers in the spans (`--otlp-content`). */
  content: boolean;
  /** Spans waiting to be exported at most (OTEL_BSP_MAX_QUEUE_SIZE); more are left out and counted. */
  maxQueue: number;
}

/** `k1=v1,k2=v2`, values percent-decoded, as the OTLP exporter specification writes them. */
function headersOf(text: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    headers[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return headers;
}

export function otlpConfig(
  flag: string | undefined,
  content: boolean,
  env: NodeJS.ProcessEnv = process.env,
): OtlpConfig | null {
  // A base endpoint gets the signal's path; a traces endpoint is used as it is.
  const base = flag ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT && flag === undefined
      ? env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
      : base
        ? /\/v1\/traces\/?$/.test(base)
          ? base
          : `${base.replace(/\/$/, '')}/v1/traces`
        : null;
  if (!url) {
    if (content) throw new UsageError(t('commands.otlp.contentNeedsEndpoint'));
    return null;
  }
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw new UsageError(t('commands.otlp.notHttp', { url }));
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json')
    throw new UsageError(t('commands.otlp.protocol', { value: protocol }));
  const maxQueue = env.OTEL_BSP_MAX_QUEUE_SIZE === undefined ? 8192 : Number(env.OTEL_BSP_MAX_QUEUE_SIZE);
  if (!Number.isInteger(maxQueue) || maxQueue < 1)
    throw new UsageError(t('commands.otlp.queue', { value: env.OTEL_BSP_MAX_QUEUE_SIZE }));
  return {
    url,
    protocol,
    maxQueue,
    headers: { ...headersOf(env.OTEL_EXPORTER_OTLP_HEADERS), ...headersOf(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
    serviceName: env.OTEL_SERVICE_NAME ?? 'wirelog',
    content,
  };
}
