import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

export const WIRELOG_BIN = fileURLToPath(new URL('../../bin/wirelog.js', import.meta.url));
/** Node's own flags for wirelog, as `npm start` runs it (package.json; test/package.test.ts keeps the two the same). */
export const WIRELOG_NODE_FLAGS = ['--max-semi-space-size=1', '--v8-pool-size=2'];

/** Tests read the CLI's English whatever the machine's locale; a test of another language sets it. */
const ENGLISH = { WIRELOG_LANG: 'en' };

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A command that has not ended by then is killed (SIGKILL): its result says so by its signal. */
const CLI_KILL_MS = 200_000;

/** Runs the real `wirelog` command line as a child process, its standard input closed after `input`. */
export function runCli(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; input?: string; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...ENGLISH, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), CLI_KILL_MS);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end(options.input ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Soft and hard limit on open files for the process (macOS gives 256 by default). */
  openFileLimit?: number;
}

/** Starts a long-running `wirelog` command and resolves once its output contains `ready`. */
export function startCli(
  args: string[],
  ready: string,
  options: StartOptions = {},
): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...ENGLISH, ...options.env };
    const stdio: ['ignore', 'pipe', 'pipe'] = ['ignore', 'pipe', 'pipe'];
    const child =
      options.openFileLimit === undefined
        ? spawn(process.execPath, [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, ...args], { env, stdio })
        : spawn(
            '/bin/sh',
            [
              '-c',
              `ulimit -n ${options.openFileLimit} && exec "$0" "$@"`,
              process.execPath,
              ...WIRELOG_NODE_FLAGS,
              WIRELOG_BIN,
              ...args,
            ],
            { env, stdio },
          );
    let output = '';
    const onData = (d: Buffer) => {
      output += d.toString();
      if (output.includes(ready)) resolve({ child, output: () => output });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`wirelog exited (${code}) before "${ready}":\n${output}`)));
  });
}

export interface WirelogProcess {
  child: ChildProcess;
  proxyUrl: string;
  viewerUrl: string;
  /** Everything it printed so far. */
  output: () => string;
  /** Peak resident memory so far (VmHWM), in MB. */
  peakRssMb(): number;
  /** Ctrl-C, then wait for it to exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `wirelog start` on free ports as its own process, once it says it is capturing. */
export async function startWirelogProcess(
  dataDir: string,
  extraArgs: string[] = [],
  options: StartOptions = {},
): Promise<WirelogProcess> {
  const { child, output } = await startCli(
    ['start', '--data-dir', dataDir, '--proxy-port', '0', '--ui-port', '0', ...extraArgs],
    'Press Ctrl-C',
    options,
  );
  const printed = output();
  return {
    child,
    output,
    proxyUrl: /proxy: +(http:\/\/\S+)/.exec(printed)![1],
    viewerUrl: /viewer: +(http:\/\/\S+)/.exec(printed)![1],
    peakRssMb() {
      const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
    },
    stop() {
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGINT');
      return exited;
    },
  };
}
