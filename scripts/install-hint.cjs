// wirelog's postinstall: one line when the SQLite binding was compiled from source instead of
// downloaded, naming the setting that downloads it from a mirror next time (docs/install.md).
// better-sqlite3's install runs `prebuild-install || node-gyp rebuild`: a downloaded binary is a
// tarball holding build/Release/better_sqlite3.node alone, while node-gyp's configure step writes
// build/config.gypi beside it, so that file is the mark of a compile.
// Plain CommonJS with no dependencies (it runs before anything is built), and it never fails
// the install: whatever goes wrong here, the install goes on without the hint.
// npm shows this output for `npm install` in a clone; for a global install npm runs install
// scripts in the background and shows their output only with --foreground-scripts.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

// Both languages here: this script cannot read wirelog's catalogue (it is bundled into dist/).
const HINT = {
  en: 'wirelog: the SQLite binding (better-sqlite3) was compiled from source because its prebuilt binary could not be downloaded; to download it from a mirror next time, export npm_config_better_sqlite3_binary_host (see docs/install.md)',
  'zh-CN':
    'wirelog：SQLite 绑定（better-sqlite3）的预编译包没下载下来，已从源码编译；下次想从镜像下载，先设置 npm_config_better_sqlite3_binary_host（见 docs/install.md）',
};

/** The better-sqlite3 folder wirelog will load, found as Node would from wirelog's own folder; null: none. */
function bindingDir(from) {
  try {
    return path.dirname(require.resolve('better-sqlite3/package.json', { paths: [from] }));
  } catch {
    return null;
  }
}

/** Whether the binding there was built by node-gyp on this machine rather than downloaded. */
function compiledFromSource(dir) {
  return (
    fs.existsSync(path.join(dir, 'build', 'config.gypi')) &&
    fs.existsSync(path.join(dir, 'build', 'Release', 'better_sqlite3.node'))
  );
}

/** wirelog's language as the CLI picks it: WIRELOG_LANG, else the locale. */
function language(env) {
  const wanted = env.WIRELOG_LANG || env.LC_ALL || env.LC_MESSAGES || env.LANG || '';
  return /^zh/i.test(wanted) ? 'zh-CN' : 'en';
}

try {
  const dir = bindingDir(path.join(__dirname, '..'));
  if (dir && compiledFromSource(dir)) console.log(HINT[language(process.env)]);
} catch {
  // A hint is not worth a failed install.
}
