// Files that point clients which read no environment variable for it at the wirelog CA:
// wget (GnuTLS) reads `ca_certificate` from a wgetrc only, and Python's aiohttp needs a
// start-up hook to read the proxy variables at all.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensurePrivateDir, replacePrivateFile } from '../certs/safe-files.ts';

export interface ClientFiles {
  /** A wgetrc: the user's own (WGETRC, else ~/.wgetrc), then the wirelog bundle as ca_certificate. */
  wgetrc: string;
  /** The directory of wirelog's sitecustomize.py, to put first on PYTHONPATH. */
  pythonDir: string;
}

/** Next to this module: cli/python in a clone, dist/python in the build and the package. */
export const PYTHON_DIR = fileURLToPath(new URL('./python/', import.meta.url));

function usersWgetrc(env: NodeJS.ProcessEnv, generated: string): string {
  const own =
    env.WGETRC && path.resolve(env.WGETRC) !== generated ? env.WGETRC : path.join(env.HOME ?? os.homedir(), '.wgetrc');
  try {
    return fs.readFileSync(own, 'utf8');
  } catch {
    return '';
  }
}

export function writeClientFiles(
  dataDir: string,
  bundlePath: string,
  env: NodeJS.ProcessEnv = process.env,
): ClientFiles {
  const dir = path.join(dataDir, 'clients');
  // In the data dir's own way (certs/safe-files.ts): a link planted there is refused, never written through.
  ensurePrivateDir(dir, {
    what: { key: 'dataFiles.role.clientFiles' },
    fix: (d) => ({ key: 'dataFiles.fix.moveAndRunAgain', params: { dir: d } }),
  });
  const wgetrc = path.join(dir, 'wgetrc');
  const own = usersWgetrc(env, wgetrc);
  replacePrivateFile(
    wgetrc,
    `${own}${own && !own.endsWith('\n') ? '\n' : ''}# added by wirelog: trust its CA (and the system roots)\nca_certificate = ${bundlePath}\n`,
    {
      what: { key: 'dataFiles.role.wgetSettings' },
      fix: (f) => ({ key: 'dataFiles.fix.removeRewritten', params: { file: f } }),
    },
  );
  return { wgetrc, pythonDir: PYTHON_DIR.replace(/\/$/, '') };
}
