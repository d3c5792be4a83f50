// The data dir's place and its first check, apart from cli/instance.ts: the commands that only
// read a store (doctor, export, import) need them, and importing the instance module loaded the
// proxy, its TLS library and the viewer's wiring first (a tenth of a second of CPU per command).
import os from 'node:os';
import path from 'node:path';
import { ensureDataDir } from '../certs/safe-files.ts';
import { t } from './language.ts';

export function defaultDataDir(): string {
  return process.env.WIRELOG_HOME || path.join(os.homedir(), '.wirelog');
}

/**
 * Makes the data dir owner-only (it holds every capture and the CA key) and checks it can be
 * used, with one line naming the fix. A dir of the user's that others could enter is tightened,
 * and said so; another user's dir, or anything but a directory, is refused (certs/safe-files.ts).
 */
export function prepareDataDir(dataDir: string): void {
  ensureDataDir(dataDir, (mode) =>
    console.error(`wirelog: ${t('commands.dataDir.widened', { dataDir, mode: mode.toString(8) })}`),
  );
}
