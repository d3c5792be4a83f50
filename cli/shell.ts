// Which shell `wirelog env` writes for when no --shell is given: the shell that started it if it
// is one (a user whose login shell is zsh may be typing in fish), else the login shell ($SHELL).
// fish cannot run POSIX lines (`unset` is unknown to it, and NO_PROXY would stay set).
import fs from 'node:fs';
import path from 'node:path';
import type { Shell } from './launch-env.ts';

export const SHELLS: readonly Shell[] = ['bash', 'zsh', 'fish', 'powershell'];

/** The syntax for a shell program's name or path (`/usr/bin/fish`, `-zsh`, `pwsh.exe`); null for a program that is no shell. */
export function shellOf(program: string | undefined | null): Shell | null {
  const name = path
    .basename((program ?? '').trim())
    .replace(/^-/, '')
    .replace(/\.exe$/i, '')
    .toLowerCase();
  if (name === 'fish') return 'fish';
  if (name === 'zsh') return 'zsh';
  if (name === 'pwsh' || name === 'powershell') return 'powershell';
  // POSIX shells read bash's lines (export, unset, single quotes).
  if (['bash', 'sh', 'dash', 'ksh', 'mksh', 'ash', 'yash', 'busybox'].includes(name)) return 'bash';
  return null;
}

/** The name of the process that started this one, where that is cheap to read (Linux's /proc); null elsewhere. */
export function parentProgram(ppid = process.ppid): string | null {
  try {
    return fs.readFileSync(`/proc/${ppid}/comm`, 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/** The parent process if it is a shell, else $SHELL, else bash. */
export function detectShell(env: NodeJS.ProcessEnv = process.env, parent: string | null = parentProgram()): Shell {
  return shellOf(parent) ?? shellOf(env.SHELL) ?? 'bash';
}
