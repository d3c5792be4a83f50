import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientFiles } from './client-files.ts';
import { javaEnv } from './java-env.ts';

export interface LaunchEnv {
  /** Variables to set. */
  set: Record<string, string>;
  /** Variables to remove: an inherited NO_PROXY=localhost would silently route around wirelog. */
  unset: string[];
}

const BOOTSTRAP = fileURLToPath(new URL('./node-proxy-bootstrap.cjs', import.meta.url));

function quoteForNodeOptions(file: string): string {
  return /[\s"]/.test(file) ? `"${file.replace(/(["\\])/g, '\\$1')}"` : file;
}

/** Every variable that makes common clients use the proxy and trust the wirelog CA (table in the README). */
export function launchEnv(
  proxyUrl: string,
  caPath: string,
  bundlePath: string,
  files: ClientFiles,
  inherited: NodeJS.ProcessEnv = process.env,
): LaunchEnv {
  const inheritedNodeOptions = inherited.NODE_OPTIONS ?? '';
  const require = `--require ${quoteForNodeOptions(BOOTSTRAP)}`;
  const nodeOptions = inheritedNodeOptions.includes(BOOTSTRAP)
    ? inheritedNodeOptions
    : `${inheritedNodeOptions} ${require}`.trim();
  const pythonPath = [
    files.pythonDir,
    ...(inherited.PYTHONPATH ?? '').split(path.delimiter).filter((p) => p && p !== files.pythonDir),
  ].join(path.delimiter);
  return {
    set: {
      HTTP_PROXY: proxyUrl,
      HTTPS_PROXY: proxyUrl,
      ALL_PROXY: proxyUrl,
      http_proxy: proxyUrl,
      https_proxy: proxyUrl,
      all_proxy: proxyUrl,
      // Codex reads this first; Node adds it to its bundled roots.
      CODEX_CA_CERTIFICATE: caPath,
      NODE_EXTRA_CA_CERTS: caPath,
      // These replace the default roots, so they get the system roots plus our CA.
      SSL_CERT_FILE: bundlePath,
      REQUESTS_CA_BUNDLE: bundlePath,
      CURL_CA_BUNDLE: bundlePath,
      GIT_SSL_CAINFO: bundlePath,
      CARGO_HTTP_CAINFO: bundlePath,
      AWS_CA_BUNDLE: bundlePath,
      NODE_USE_ENV_PROXY: '1',
      NODE_OPTIONS: nodeOptions,
      // A global npmrc's cafile would otherwise win over NODE_EXTRA_CA_CERTS.
      npm_config_cafile: bundlePath,
      // wget (GnuTLS) ignores SSL_CERT_FILE; its wgetrc chains the user's own.
      WGETRC: files.wgetrc,
      // aiohttp reads the proxy variables only with trust_env=True: wirelog's sitecustomize makes that the default.
      PYTHONPATH: pythonPath,
      // Java reads neither the proxy nor the CA variables: system properties in JAVA_TOOL_OPTIONS.
      ...javaEnv(proxyUrl, caPath, inherited),
    },
    unset: ['NO_PROXY', 'no_proxy'],
  };
}

export type Shell = 'bash' | 'zsh' | 'fish' | 'powershell';

export function renderEnv(env: LaunchEnv, shell: Shell): string {
  const lines: string[] = [];
  const single = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;
  for (const name of env.unset) {
    if (shell === 'fish') lines.push(`set -e ${name}`);
    else if (shell === 'powershell') lines.push(`Remove-Item Env:${name} -ErrorAction SilentlyContinue`);
    else lines.push(`unset ${name}`);
  }
  for (const [name, value] of Object.entries(env.set)) {
    if (shell === 'fish') lines.push(`set -gx ${name} '${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`);
    else if (shell === 'powershell') lines.push(`$env:${name} = '${value.replace(/'/g, "''")}'`);
    else lines.push(`export ${name}=${single(value)}`);
  }
  // fish's `eval (cmd)` makes one argument per output line: one line works with `| source` too.
  return lines.join(shell === 'fish' ? '; ' : '\n');
}
