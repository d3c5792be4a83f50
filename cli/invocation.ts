// How the user can type wirelog again: `wirelog` when it is on their PATH (npm link, a global
// install), else the command that really runs it here (`node bin/wirelog.js`): after
// `npm install && npm start` in a clone, telling them to type `wirelog ...` would fail.
import fs from 'node:fs';
import path from 'node:path';

function onPath(name: string, env: NodeJS.ProcessEnv): boolean {
  const extensions = process.platform === 'win32' ? (env.PATHEXT ?? '.CMD;.EXE').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of extensions) {
      try {
        fs.accessSync(path.join(dir, name + ext), fs.constants.X_OK);
        return true;
      } catch {
        // not in this folder
      }
    }
  }
  return false;
}

/** `wirelog`, or `node <path of the script that runs now>` (relative to the working folder when inside it). */
export function wirelogCommand(
  env: NodeJS.ProcessEnv = process.env,
  script: string | undefined = process.argv[1],
  cwd = process.cwd(),
): { command: string; onPath: boolean } {
  if (onPath('wirelog', env) || !script) return { command: 'wirelog', onPath: true };
  const relative = path.relative(cwd, script);
  const shown = relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : script;
  return { command: `node ${/\s/.test(shown) ? `"${shown}"` : shown}`, onPath: false };
}
