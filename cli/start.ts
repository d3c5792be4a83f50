import { leafSpkiHash } from '../certs/leaf.ts';
import { CAPTURE_FLAGS, CAPTURE_HELP, captureConfig, parseFlags } from './args.ts';
import { findInstance, prepareDataDir, registerInstance, startWirelog, StartError } from './instance.ts';
import { chromiumFlags } from './chromium.ts';
import { gatewayBase } from './gateway-url.ts';

export const START_HELP = `wirelog start [flags]: run the proxy and the viewer until Ctrl-C
${CAPTURE_HELP}`;

export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('start', args, CAPTURE_FLAGS);
  const config = captureConfig(values, { proxyPort: 8899, uiPort: 8900 });
  // The data dir first: the record of a running wirelog is read from it only once it is known to be the user's.
  prepareDataDir(config.dataDir);
  const running = await findInstance(config.dataDir);
  if (running) {
    throw new StartError(`wirelog is already running on ${config.dataDir} (pid ${running.pid}, proxy ${running.proxyUrl}): use that one, stop it, or pass another --data-dir`);
  }
  const log = (message: string) => console.error(message);
  // Exchanges an earlier run left open are marked interrupted by the storage worker once it listens (db/writer-worker.ts).
  const wirelog = await startWirelog(config, log);
  // One faulty exchange must not take every other connection down with the process.
  process.on('uncaughtException', (err) => log(`wirelog: internal error, still running (please report it): ${err.stack ?? err.message}`));
  const unregister = registerInstance(config.dataDir, {
    pid: process.pid,
    proxyUrl: wirelog.proxy.url,
    proxyPort: wirelog.proxy.port,
    viewerUrl: wirelog.viewer?.url ?? null,
    viewerToken: wirelog.viewer?.token ?? null,
    startedAt: new Date().toISOString(),
  });
  const { ca, proxy, viewer } = wirelog;
  console.log(`wirelog is capturing.
  proxy:   ${proxy.url}
  gateway: ${gatewayBase(proxy.host, proxy.port, wirelog.gatewayToken)}/https/api.openai.com/v1  (any base URL, after this address: \`wirelog url URL\`)${wirelog.gatewayToken ? '  (the token is shown only here)' : ''}
  viewer:  ${viewer ? (viewer.token ? `${viewer.url}/?token=${viewer.token}  (the token is shown only here)` : viewer.url) : '(off)'}
  data:    ${config.dataDir}
  CA:      ${ca.files.certPath}
           SHA-256 ${ca.fingerprint}
  secrets: ${config.keepSecrets ? 'KEPT as sent (--keep-secrets)' : 'masked before storage'}${config.otlp ? `
  otlp:    spans to ${config.otlp.url} (${config.otlp.protocol}${config.otlp.content ? ', with prompts and answers' : ''})` : ''}

Send traffic through it:
  wirelog run -- codex exec "hello"          start a program with the proxy and CA set
  eval "$(wirelog env)"                      set them in this shell (--shell fish|powershell)
  or point an app's proxy setting at ${proxy.url} and trust the CA (wirelog ca)
  Chromium/Electron: ${chromiumFlags(proxy.url, leafSpkiHash(ca)).join(' ')}
                     (wirelog run -- chromium ... adds them itself; --chromium for an Electron app)
Press Ctrl-C to stop.`);
  if (!wirelog.loopback) {
    console.error(
      `wirelog: WARNING: listening on ${config.host}: other machines can reach this proxy (with the --proxy-auth credentials) and the viewer (with the token in its URL above, which can read every capture)`,
    );
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
  });
  console.error('wirelog: stopping, storing what is pending...');
  await wirelog.stop();
  unregister();
  return 0;
}
