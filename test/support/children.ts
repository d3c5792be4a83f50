import childProcess, { type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { promisify } from 'node:util';
import { afterAll, expect } from 'vitest';

/**
 * Setup file of every tier that may start processes (vitest.config.ts): each child a test
 * starts (wirelog, curl, npm, mitmdump, Chromium through playwright) is remembered, and
 * whatever is still running when the file's own afterAll hooks have run is killed with its
 * descendants, by PID. A test that timed out never reaches its `finally`; without this its
 * wirelog or `npm install` would run on beside the next files.
 */
const running = new Map<number, { child: ChildProcess; command: string }>();

function remember<T extends ChildProcess>(child: T, command: string): T {
  const pid = child.pid;
  if (pid === undefined) return child;
  running.set(pid, { child, command });
  child.once('exit', () => running.delete(pid));
  return child;
}

function describeCommand(file: unknown, args: unknown): string {
  const argv = Array.isArray(args) ? args.map(String) : [];
  return [String(file), ...argv].join(' ').slice(0, 200);
}

/** As Node's own execFile and exec: `promisify` resolves with { stdout, stderr } and rejects with them on the error. */
function giveCustomPromisify(fn: (...args: never[]) => ChildProcess): void {
  Object.defineProperty(fn, promisify.custom, {
    value: (...args: unknown[]) => {
      let child: ChildProcess | undefined;
      const done = new Promise((resolve, reject) => {
        child = (fn as (...a: unknown[]) => ChildProcess)(
          ...args,
          (err: Error | null, stdout: unknown, stderr: unknown) =>
            err ? reject(Object.assign(err, { stdout, stderr })) : resolve({ stdout, stderr }),
        );
      });
      return Object.assign(done, { child });
    },
  });
}

// execFile and exec call spawn from inside node:child_process, not through its exports, so
// each entry point is wrapped. The ESM bindings (`import { spawn } from 'node:child_process'`)
// follow once syncBuiltinESMExports runs; playwright and others reach the CommonJS exports.
const original = {
  spawn: childProcess.spawn,
  execFile: childProcess.execFile,
  exec: childProcess.exec,
  fork: childProcess.fork,
};
childProcess.spawn = function (this: unknown, ...args: unknown[]) {
  return remember(
    (original.spawn as (...a: unknown[]) => ChildProcess).apply(this, args),
    describeCommand(args[0], args[1]),
  );
} as typeof childProcess.spawn;
childProcess.execFile = function (this: unknown, ...args: unknown[]) {
  return remember(
    (original.execFile as (...a: unknown[]) => ChildProcess).apply(this, args),
    describeCommand(args[0], args[1]),
  );
} as typeof childProcess.execFile;
giveCustomPromisify(childProcess.execFile);
childProcess.exec = function (this: unknown, ...args: unknown[]) {
  return remember(
    (original.exec as (...a: unknown[]) => ChildProcess).apply(this, args),
    String(args[0]).slice(0, 200),
  );
} as typeof childProcess.exec;
giveCustomPromisify(childProcess.exec);
childProcess.fork = function (this: unknown, ...args: unknown[]) {
  return remember(
    (original.fork as (...a: unknown[]) => ChildProcess).apply(this, args),
    describeCommand(args[0], args[1]),
  );
} as typeof childProcess.fork;
syncBuiltinESMExports();

/** Every process below `pid` (Linux /proc; elsewhere none are found and only the child is killed). */
function descendantsOf(pid: number): number[] {
  let parents: Map<number, number[]>;
  try {
    parents = new Map();
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // it exited meanwhile
      }
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    }
  } catch {
    return [];
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const kid of parents.get(queue.shift()!) ?? []) {
      found.push(kid);
      queue.push(kid);
    }
  }
  return found;
}

function killTree(pid: number): void {
  // Descendants first read, then all killed: a parent killed first would orphan them to init.
  for (const p of [pid, ...descendantsOf(pid)]) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Kills every child still running (and its descendants); returns the commands killed. */
export function killLeftoverChildren(): string[] {
  const killed: string[] = [];
  for (const [pid, { child, command }] of running) {
    if (child.exitCode === null && child.signalCode === null) {
      killTree(pid);
      killed.push(`${pid} ${command}`);
    }
    running.delete(pid);
  }
  return killed;
}

afterAll(async () => {
  const file = expect.getState().testPath ?? 'this file';
  const killed = killLeftoverChildren();
  // A test that finished cleanly leaves nothing; this is the trail of one that timed out.
  if (killed.length)
    console.warn(`[children] killed ${killed.length} process(es) ${file} left running:\n  ${killed.join('\n  ')}`);
});

// A worker that exits on its own (a crash, vitest ending it) takes its children with it.
process.once('exit', () => {
  killLeftoverChildren();
});
