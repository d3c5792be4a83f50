import { UsageError } from './usage-error.ts';

export { gatewayBase } from '../proxy/gateway.ts';

/** A client's base URL in the gateway form: https://openrouter.ai/api/v1 -> BASE/https/openrouter.ai/api/v1. */
export function gatewayUrl(baseUrl: string, base: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`"${baseUrl}" is not a URL: give the base URL the client uses now, such as https://openrouter.ai/api/v1`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`the gateway forwards http and https, not ${url.protocol.replace(':', '')}`);
  if (url.username || url.password) throw new UsageError('a base URL with user:password in it cannot go through the gateway: send the credentials as a header');
  const path = url.pathname === '/' && !baseUrl.endsWith('/') ? '' : url.pathname;
  return `${base}/${url.protocol.replace(':', '')}/${url.host}${path}${url.search}${url.hash}`;
}
