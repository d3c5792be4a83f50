// Who holds a port wirelog could not listen on: another wirelog, or some other program. Asked of
// the port itself, briefly: a wirelog's viewer answers /api/status with its own status, and its
// proxy answers any direct request with its own refusal (proxy/forward.ts sendProxyError marks it).
import http from 'node:http';

/** The longest the port's owner is waited for: a start that failed says so at once. */
const PROBE_MS = 1000;

/** Where to ask for an owner listening on `host`: the wildcard addresses are reached on loopback. */
function probeAddress(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '::1';
  return host.replace(/^\[|\]$/g, '');
}

function isWirelogStatus(text: string): boolean {
  try {
    const status = JSON.parse(text) as Record<string, unknown>;
    return (
      typeof status.version === 'string' &&
      typeof status.proxyUrl === 'string' &&
      typeof status.caFingerprint === 'string' &&
      typeof status.gatewayBase === 'string'
    );
  } catch {
    return false;
  }
}

/** Whether what listens on host:port answers as a wirelog (its viewer or its proxy) within PROBE_MS; false for anything else, silence included. */
export function wirelogListensAt(host: string, port: number, timeoutMs = PROBE_MS): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (isWirelog: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(isWirelog);
    };
    const req = http.get(
      { host: probeAddress(host), port, path: '/api/status', agent: false, headers: { accept: 'application/json' } },
      (res) => {
        if (res.headers['x-wirelog-error'] === '1') return done(true);
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          if (text.length > 1 << 20) done(false);
        });
        res.on('end', () => done(res.statusCode === 200 && isWirelogStatus(text)));
        res.on('error', () => done(false));
      },
    );
    const timer = setTimeout(() => done(false), timeoutMs);
    req.on('error', () => done(false));
  });
}
