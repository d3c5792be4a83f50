// A proxy the user's shell sets (Clash's `export https_proxy=http://127.0.0.1:7890`, common in
// mainland China): wirelog connects to providers directly (proxy/upstream.ts) unless started with
// --upstream-proxy, and `wirelog run` replaces it for the command. Said once, with the flag that
// sends wirelog through it, so a provider this machine reaches only through that proxy is not a
// silent timeout.
import { maskPath } from '../model/secrets.ts';

const NAMES = ['HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'HTTP_PROXY', 'http_proxy'];

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Whether a proxy URL is wirelog itself on this machine (left by an earlier `eval "$(wirelog env)"`). */
function isWirelog(value: string, ownPorts: number[]): boolean {
  try {
    const url = new URL(value);
    return isLoopback(url.hostname) && ownPorts.includes(Number(url.port || 80));
  } catch {
    return false;
  }
}

/**
 * The first proxy variable set in `env` that is not wirelog itself, its credentials masked, with the
 * `--upstream-proxy` value that sends wirelog through it (http://: Clash's and most others' one port
 * serves HTTP too); null when none.
 */
export function userProxy(
  env: NodeJS.ProcessEnv,
  ownPorts: number[],
): { name: string; value: string; flag: string } | null {
  for (const name of NAMES) {
    const value = env[name]?.trim();
    if (value && !isWirelog(value, ownPorts))
      return { name, value: maskPath(value), flag: maskPath(value.replace(/^[a-z][a-z0-9+.-]*:\/\//i, 'http://')) };
  }
  return null;
}
