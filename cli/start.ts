import { leafSpkiHash } from '../certs/leaf.ts';
import { CAPTURE_FLAGS, captureConfig, captureHelp, parseFlags } from './args.ts';
import { findInstance, prepareDataDir, registerInstance, startWirelog, StartError } from './instance.ts';
import { chromiumFlags } from './chromium.ts';
import { gatewayBase } from './gateway-url.ts';
import { t } from './language.ts';
import { wirelogCommand } from './invocation.ts';
import { userProxy } from './user-proxy.ts';

export const startHelp = () => t('commands.start.help', { flags: captureHelp() });

export async function startCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('start', args, CAPTURE_FLAGS);
  const config = captureConfig(values, { proxyPort: 8899, uiPort: 8900 });
  // The data dir first: the record of a running wirelog is read from it only once it is known to be the user's.
  prepareDataDir(config.dataDir);
  const running = await findInstance(config.dataDir);
  if (running) {
    throw new StartError(
      t('commands.start.alreadyRunning', { dataDir: config.dataDir, pid: running.pid, proxyUrl: running.proxyUrl }),
    );
  }
  const log = (message: string) => console.error(message);
  // Exchanges an earlier run left open are marked interrupted by the storage worker once it listens (db/writer-worker.ts).
  const wirelog = await startWirelog(config, log);
  // One faulty exchange must not take every other connection down with the process.
  process.on('uncaughtException', (err) =>
    log(`wirelog: ${t('commands.start.internalError', { error: err.stack ?? err.message })}`),
  );
  const unregister = registerInstance(config.dataDir, {
    pid: process.pid,
    proxyUrl: wirelog.proxy.url,
    proxyPort: wirelog.proxy.port,
    viewerUrl: wirelog.viewer?.url ?? null,
    viewerToken: wirelog.viewer?.token ?? null,
    startedAt: new Date().toISOString(),
  });
  const { ca, proxy, viewer } = wirelog;
  const wirelogCli = wirelogCommand();
  const gateway = `${gatewayBase(proxy.host, proxy.port, wirelog.gatewayToken)}/https/api.openai.com/v1`;
  const lines = [
    t('commands.start.capturing'),
    t('commands.start.proxy', { url: proxy.url }),
    t('commands.start.gateway', { url: gateway }) + (wirelog.gatewayToken ? t('commands.start.tokenOnce') : ''),
    viewer
      ? viewer.token
        ? t('commands.start.viewer', { url: `${viewer.url}/?token=${viewer.token}` }) + t('commands.start.tokenOnce')
        : t('commands.start.viewer', { url: viewer.url })
      : t('commands.start.viewerOff'),
    t('commands.start.data', { dataDir: config.dataDir }),
    t('commands.start.ca', { path: ca.files.certPath }),
    t('commands.start.fingerprint', { fingerprint: ca.fingerprint }),
    t(config.keepSecrets ? 'commands.start.secretsKept' : 'commands.start.secretsMasked'),
    ...(config.otlp
      ? [
          t(config.otlp.content ? 'commands.start.otlpContent' : 'commands.start.otlp', {
            url: config.otlp.url,
            protocol: config.otlp.protocol,
          }),
        ]
      : []),
    '',
    t('commands.start.howTo', {
      wirelog: wirelogCli.command,
      proxyUrl: proxy.url,
      chromiumFlags: chromiumFlags(proxy.url, leafSpkiHash(ca)).join(' '),
    }),
    // Said once: the commands above are written as they run here.
    ...(wirelogCli.onPath ? [] : [t('commands.start.notOnPath')]),
    t('commands.start.pressCtrlC'),
  ];
  console.log(lines.join('\n'));
  if (!wirelog.loopback) console.error(`wirelog: ${t('commands.start.beyondLoopback', { host: config.host })}`);
  const theirs = userProxy(process.env, [proxy.port]);
  if (theirs && !config.upstreamProxy) console.error(`wirelog: ${t('commands.start.userProxy', theirs)}`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    process.once('SIGHUP', stop);
  });
  console.error(`wirelog: ${t('commands.start.stopping')}`);
  await wirelog.stop();
  unregister();
  return 0;
}
