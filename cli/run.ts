import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateCa } from '../certs/ca.ts';
import { writeTrustBundle } from '../certs/trust.ts';
import { CAPTURE_FLAGS, UsageError, captureConfig, captureHelp, parseFlags } from './args.ts';
import {
  defaultDataDir,
  findInstance,
  prepareDataDir,
  startWirelog,
  type InstanceRecord,
  type Wirelog,
} from './instance.ts';
import { t } from './language.ts';
import { wirelogCommand } from './invocation.ts';
import { writeClientFiles } from './client-files.ts';
import { userProxy } from './user-proxy.ts';
import { launchEnv } from './launch-env.ts';
import { chromiumFlags, isChromiumLike } from './chromium.ts';
import { leafSpkiHash } from '../certs/leaf.ts';
import { AgentConfigError, realSources } from './agent-config.ts';
import { CAPTURE_MODES, loopbackTargets, planLaunch, type CaptureMode, type LaunchPlan } from './agents.ts';
import { baseUrlMistake, gatewayBase } from './gateway-url.ts';
import { detectShell } from './shell.ts';
import { maskPath, maskSecret, isSecretName } from '../model/secrets.ts';
import type { Shell } from './launch-env.ts';

export const runHelp = () => `${t('commands.run.help', { flags: captureHelp() })}\n${t('launch.help')}`;

const RUN_FLAGS = {
  ...CAPTURE_FLAGS,
  chromium: { type: 'boolean' },
  mode: { type: 'string' },
  explain: { type: 'boolean' },
} as const;

/** wirelog's gateway address for a proxy URL; null when the proxy is not on loopback (its gateway then needs a token). */
function gatewayBaseOf(proxyUrl: string): string | null {
  const url = new URL(proxyUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  return loopback ? gatewayBase(host, Number(url.port), null) : null;
}

/** The capture for the command: what the agent table says, or --mode; a config file the agent would read and wirelog cannot is one line. */
function plan(
  command: string[],
  requested: CaptureMode | undefined,
  proxyUrl: string,
  proxyEnv: ReturnType<typeof launchEnv>,
): LaunchPlan {
  try {
    return planLaunch({ command, sources: realSources(), requested, proxyEnv, gatewayBase: gatewayBaseOf(proxyUrl) });
  } catch (err) {
    if (err instanceof AgentConfigError)
      throw new UsageError(t('launch.configUnreadable', { file: err.file, error: err.detail }));
    throw err;
  }
}

/** A value quoted for the shell it is pasted into (single quotes: nothing in it is expanded). */
export function shellQuote(value: string, shell: Shell): string {
  if (shell === 'fish') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (shell === 'powershell') return `'${value.replace(/'/g, "''")}'`;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A value as --explain shows it: a secret's last 4 characters, a URL's credentials and key parameters masked. */
function shown(name: string, value: string): string {
  if (isSecretName(name)) return maskSecret(value);
  return value.replace(/https?:\/\/[^\s"']+/gi, (url) => maskPath(url));
}

/**
 * --explain: one `NAME=value` line per variable, `unset NAME` for each removed, one line per
 * config override (`-c key=value`, `--settings JSON`), then `# why`; all quoted for the shell.
 */
export function explainLines(p: LaunchPlan, shell: Shell): string[] {
  const lines: string[] = [];
  for (const name of p.env.unset)
    lines.push(
      shell === 'fish' ? `set -e ${name}` : shell === 'powershell' ? `Remove-Item Env:${name}` : `unset ${name}`,
    );
  for (const [name, value] of Object.entries(p.env.set))
    lines.push(`${shell === 'powershell' ? '$env:' : ''}${name}=${shellQuote(shown(name, value), shell)}`);
  for (const [flag, value] of p.added) lines.push(`${flag} ${shellQuote(shown(flag, value), shell)}`);
  lines.push(`# ${shown('', p.why).replace(/[\r\n]+/g, ' ')}`);
  return lines;
}

function requestedMode(value: string | undefined): CaptureMode | undefined {
  if (value === undefined) return undefined;
  if (!(CAPTURE_MODES as readonly string[]).includes(value)) throw new UsageError(t('launch.badMode', { value }));
  return value as CaptureMode;
}

/**
 * A loopback target many clients reach past the proxy (Go, Chromium), with its gateway form:
 * said by --explain, and after a private capture that stored nothing for that host.
 */
function loopbackHints(p: LaunchPlan, proxyUrl: string, uncaptured: (url: string) => boolean = () => true): string[] {
  if (p.mode !== 'proxy') return [];
  return loopbackTargets(p.command, process.env, p.upstream, gatewayBaseOf(proxyUrl), proxyUrl)
    .filter(({ url }) => uncaptured(url))
    .map(({ url, gateway }) =>
      gateway
        ? t('launch.loopback', { url: maskPath(url), gateway: maskPath(gateway) })
        : t('launch.loopbackNoGateway', { url: maskPath(url) }),
    );
}

async function explain(
  command: string[],
  requested: CaptureMode | undefined,
  values: { 'data-dir'?: string; 'proxy-port'?: string },
): Promise<number> {
  const config = captureConfig(values, { proxyPort: 0, uiPort: null });
  prepareDataDir(config.dataDir);
  const instance = await findInstance(config.dataDir);
  const proxyUrl = instance?.proxyUrl ?? `http://127.0.0.1:${values['proxy-port'] ?? 8899}`;
  const ca = loadOrCreateCa(config.dataDir);
  const bundle = writeTrustBundle(ca);
  const p = plan(
    command,
    requested,
    proxyUrl,
    launchEnv(proxyUrl, ca.files.certPath, bundle, writeClientFiles(config.dataDir, bundle)),
  );
  console.log(explainLines(p, detectShell()).join('\n'));
  const hint = baseUrlHint(p);
  if (hint) console.error(`wirelog: ${hint}`);
  for (const hint of loopbackHints(p, proxyUrl)) console.error(`wirelog: ${hint}`);
  if (!instance) console.error(`wirelog: ${t('launch.explainPrivate', { dataDir: config.dataDir, proxyUrl })}`);
  return 0;
}

/** An agent's base URL that its relay will answer 404 (an endpoint at its end, `/v1` twice), with the one meant. */
function baseUrlHint(p: LaunchPlan): string | null {
  const mistake = p.agent && p.upstream ? baseUrlMistake(p.upstream) : null;
  if (!mistake || !p.agent || !p.upstream) return null;
  return t(mistake.kind === 'endpoint' ? 'launch.baseUrlEndpoint' : 'launch.baseUrlRepeated', {
    agent: p.agent.label,
    value: maskPath(p.upstream),
    segment: mistake.segment,
    fixed: maskPath(mistake.fixed),
  });
}

/**
 * Said when the command ends (on stderr: its standard output stays its own): the running
 * wirelog's viewer, or, after a private capture with no viewer, how to see what it stored.
 */
export function whereCapturesWent(instance: InstanceRecord | null, dataDir: string, captured: number): string {
  if (instance?.viewerUrl) return t('commands.run.capturedRunning', { url: instance.viewerUrl });
  const cli = wirelogCommand().command;
  const quoted = /[\s'"$`\\]/.test(dataDir) ? `'${dataDir.replace(/'/g, `'\\''`)}'` : dataDir;
  const dataDirFlag = dataDir === path.resolve(defaultDataDir()) ? '' : ` --data-dir ${quoted}`;
  return t('commands.run.capturedPrivate', {
    count: captured,
    dataDir,
    list: `${cli} list${dataDirFlag}`,
    start: `${cli} start${dataDirFlag}`,
  });
}

/**
 * Where the command begins: after `--`, or, without it, at the first argument that is neither
 * one of run's flags nor a flag's value, so `wirelog run claude -p hi` starts `claude -p hi`
 * (its `-p` is the agent's, not wirelog's).
 */
export function commandStart(args: readonly string[]): { flags: string[]; command: string[] } {
  const options: Record<string, { type: string }> = RUN_FLAGS;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') return { flags: args.slice(0, i), command: args.slice(i + 1) };
    if (!arg.startsWith('-') || arg === '-') return { flags: args.slice(0, i), command: args.slice(i) };
    if (!arg.includes('=') && options[arg.replace(/^--?/, '')]?.type === 'string') i++;
  }
  return { flags: [...args], command: [] };
}

export async function runCommand(args: string[]): Promise<number> {
  const split = commandStart(args);
  const { values } = parseFlags('run', split.flags, RUN_FLAGS);
  let command = split.command;
  if (command.length === 0) throw new UsageError(t('commands.run.needsCommand'));
  const requested = requestedMode(values.mode);
  if (values.explain) return explain(command, requested, values);
  const config = captureConfig(values, { proxyPort: 0, uiPort: null });
  prepareDataDir(config.dataDir);

  const instance = await findInstance(config.dataDir);
  const startedAt = Date.now();
  let own: Wirelog | null = null;
  let proxyUrl: string;
  if (instance) {
    proxyUrl = instance.proxyUrl;
    if (config.upstreamProxy)
      console.error(`wirelog: ${t('commands.run.upstreamProxyUnused', { dataDir: config.dataDir })}`);
  } else {
    own = await startWirelog(config, (message) => console.error(message));
    proxyUrl = own.proxy.url;
  }
  const ca = own?.ca ?? loadOrCreateCa(config.dataDir);
  const bundle = writeTrustBundle(ca);
  let launch: LaunchPlan;
  try {
    launch = plan(
      command,
      requested,
      proxyUrl,
      launchEnv(proxyUrl, ca.files.certPath, bundle, writeClientFiles(config.dataDir, bundle)),
    );
  } catch (err) {
    await own?.stop();
    throw err;
  }
  const env = launch.env;
  command = launch.command;
  // The shell's own proxy (Clash...) is not what wirelog reaches providers through: said before the command runs.
  const theirs = userProxy(process.env, [Number(new URL(proxyUrl).port)]);
  if (theirs && !(own && config.upstreamProxy)) console.error(`wirelog: ${t('commands.run.userProxy', theirs)}`);
  const hint = baseUrlHint(launch);
  if (hint) console.error(`wirelog: ${hint}`);
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env.set };
  if (launch.mode === 'proxy' && (values.chromium || isChromiumLike(command[0])))
    command = [command[0], ...chromiumFlags(proxyUrl, leafSpkiHash(ca)), ...command.slice(1)];
  for (const name of env.unset) delete childEnv[name];

  const child = spawn(command[0], command.slice(1), { stdio: 'inherit', env: childEnv });
  // A terminal's Ctrl-C already reaches the child (same process group); forwarding it again
  // would count twice for programs that treat a second SIGINT as "force quit".
  const forwarded: NodeJS.Signals[] = process.stdin.isTTY
    ? ['SIGTERM', 'SIGHUP', 'SIGQUIT']
    : ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
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
    const ownReader = own.reader;
    const hints = started
      ? loopbackHints(
          launch,
          proxyUrl,
          (url) => ownReader.count({ since: startedAt, host: new URL(url).hostname.replace(/^\[|\]$/g, '') }) === 0,
        )
      : [];
    await own.stop();
    for (const hint of hints) console.error(`wirelog: ${hint}`);
    // A command that never started sent nothing: its one line said why.
    if (started) console.error(`wirelog: ${whereCapturesWent(instance, config.dataDir, captured)}`);
  } else if (instance?.viewerUrl && started) {
    console.error(`wirelog: ${whereCapturesWent(instance, config.dataDir, 0)}`);
  }
  return code;
}
