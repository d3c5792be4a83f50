import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateCa } from '../certs/ca.ts';
import { writeTrustBundle } from '../certs/trust.ts';
import { CAPTURE_FLAGS, UsageError, captureConfig, captureHelp, parseFlags } from './args.ts';
import { defaultDataDir, findInstance, prepareDataDir, startWirelog, type InstanceRecord, type Wirelog } from './instance.ts';
import { t } from './language.ts';
import { wirelogCommand } from './invocation.ts';
import { writeClientFiles } from './client-files.ts';
import { launchEnv } from './launch-env.ts';
import { chromiumFlags, isChromiumLike } from './chromium.ts';
import { leafSpkiHash } from '../certs/leaf.ts';

export const runHelp = () => t('commands.run.help', { flags: captureHelp() });

/**
 * Said when the command ends (on stderr: its standard output stays its own): the running
 * wirelog's viewer, or, after a private capture with no viewer, how to see what it stored.
 */
export function whereCapturesWent(instance: InstanceRecord | null, dataDir: string, captured: number): string {
  if (instance?.viewerUrl) return t('commands.run.capturedRunning', { url: instance.viewerUrl });
  const cli = wirelogCommand().command;
  const quoted = /[\s'"$`\\]/.test(dataDir) ? `'${dataDir.replace(/'/g, `'\\''`)}'` : dataDir;
  const dataDirFlag = dataDir === path.resolve(defaultDataDir()) ? '' : ` --data-dir ${quoted}`;
  return t('commands.run.capturedPrivate', { count: captured, dataDir, list: `${cli} list${dataDirFlag}`, start: `${cli} start${dataDirFlag}` });
}

export async function runCommand(args: string[]): Promise<number> {
  const split = args.indexOf('--');
  const flagArgs = split < 0 ? args : args.slice(0, split);
  const { values, positionals } = parseFlags('run', flagArgs, { ...CAPTURE_FLAGS, chromium: { type: 'boolean' } }, true);
  let command = split < 0 ? positionals : [...positionals, ...args.slice(split + 1)];
  if (command.length === 0) throw new UsageError(t('commands.run.needsCommand'));
  const config = captureConfig(values, { proxyPort: 0, uiPort: null });
  prepareDataDir(config.dataDir);

  const instance = await findInstance(config.dataDir);
  const startedAt = Date.now();
  let own: Wirelog | null = null;
  let proxyUrl: string;
  if (instance) {
    proxyUrl = instance.proxyUrl;
  } else {
    own = await startWirelog(config, (message) => console.error(message));
    proxyUrl = own.proxy.url;
  }
  const ca = own?.ca ?? loadOrCreateCa(config.dataDir);
  const bundle = writeTrustBundle(ca);
  const env = launchEnv(proxyUrl, ca.files.certPath, bundle, writeClientFiles(config.dataDir, bundle));
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env.set };
  if (command.length > 0 && (values.chromium || isChromiumLike(command[0]))) command = [command[0], ...chromiumFlags(proxyUrl, leafSpkiHash(ca)), ...command.slice(1)];
  for (const name of env.unset) delete childEnv[name];

  const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env: childEnv });
  // A terminal's Ctrl-C already reaches the child (same process group); forwarding it again
  // would count twice for programs that treat a second SIGINT as "force quit".
  const forwarded: NodeJS.Signals[] = process.stdin.isTTY ? ['SIGTERM', 'SIGHUP', 'SIGQUIT'] : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
  const handlers = forwarded.map((signal) => {
    const handler = () => child.kill(signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  if (process.stdin.isTTY) process.on('SIGINT', () => undefined);

  let started = false;
  child.once('spawn', () => (started = true));
  const code = await new Promise<number>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      console.error(
        err.code === 'ENOENT'
          ? `wirelog: ${t('commands.run.notFound', { command: command[0] })}`
          : `wirelog: ${t('commands.run.cannotStart', { command: command[0], error: err.message })}`,
      );
      resolve(127);
    });
    child.once('exit', (exitCode, signal) => {
      resolve(exitCode ?? 128 + (signal ? (os.constants.signals[signal] ?? 0) : 0));
    });
  });
  for (const [signal, handler] of handlers) process.off(signal, handler);
  if (own) {
    // The command's sockets closed as it exited; their last stage (a refused handshake is
    // recorded when its tunnel closes) lands before the private proxy stops, within a bound.
    const until = Date.now() + 2000;
    while (own.proxy.openConnections() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    await own.writer.flush();
    const captured = own.reader.count({ since: startedAt });
    await own.stop();
    // A command that never started sent nothing: its one line said why.
    if (started) console.error(`wirelog: ${whereCapturesWent(instance, config.dataDir, captured)}`);
  } else if (instance?.viewerUrl && started) {
    console.error(`wirelog: ${whereCapturesWent(instance, config.dataDir, 0)}`);
  }
  return code;
}
