import { UsageError } from './usage-error.ts';
import { t } from './language.ts';

export { gatewayBase } from '../proxy/gateway.ts';

/** A client's base URL in the gateway form: https://openrouter.ai/api/v1 -> BASE/https/openrouter.ai/api/v1. */
export function gatewayUrl(baseUrl: string, base: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(t('commands.url.notAUrl', { value: baseUrl }));
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(t('commands.url.scheme', { scheme: url.protocol.replace(':', '') }));
  if (url.username || url.password) throw new UsageError(t('commands.url.credentials'));
  const path = url.pathname === '/' && !baseUrl.endsWith('/') ? '' : url.pathname;
  return `${base}/${url.protocol.replace(':', '')}/${url.host}${path}${url.search}${url.hash}`;
}
