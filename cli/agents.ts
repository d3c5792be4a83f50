// The agents `wirelog run` knows by name, as data: one entry per agent with its executables,
// the routes its auth modes take (the capture each needs, the base-URL variables or config
// override that point it at wirelog's gateway, its default upstream) and the reader of the
// user's own settings (cli/agent-config.ts). planLaunch turns an entry and what was read into
// what to set; anything not in the table is started as today, with every proxy and CA variable.
import path from 'node:path';
import {
  readClaude,
  readCodex,
  readGemini,
  readKimi,
  readQwen,
  type AgentSetup,
  type ConfigSources,
  type Origin,
} from './agent-config.ts';
import { gatewayUrl, upstreamOfGateway } from './gateway-url.ts';
import type { LaunchEnv } from './launch-env.ts';
import { t } from './language.ts';
import { UsageError } from './usage-error.ts';

export type CaptureMode = 'proxy' | 'gateway';
export const CAPTURE_MODES: readonly CaptureMode[] = ['proxy', 'gateway'];

/** How the agent is pointed at wirelog's gateway, beside its environment. */
export type ConfigOverride =
  /** Codex: `-c model_providers.<id>.base_url="…"` (the user's config.toml stays as it is). */
  | 'codex-provider'
  /** Claude Code: `--settings {"env":{…}}`, which wins over the `env` of its settings files. */
  | 'claude-settings';

export interface AgentRoute {
  /** The capture that works for this auth mode. */
  mode: CaptureMode;
  /** The variables the agent reads its base URL from (all set to the gateway form). */
  variables?: readonly string[];
  override?: ConfigOverride;
  /** The base URL the agent calls when nothing sets one. */
  defaultUpstream?: string;
}

export interface AgentEntry {
  id: string;
  /** The agent's name in messages (a product name, never translated). */
  label: string;
  /** Executable names (and npm package names, for `npx <package>`). */
  executables: readonly string[];
  routes: Readonly<Record<string, AgentRoute>>;
  /** Reads what the agent would call from its environment and config files; absent: its one route. */
  read?: (sources: ConfigSources, args: readonly string[]) => AgentSetup;
}

const OPENAI = 'https://api.openai.com/v1';

export const AGENTS: readonly AgentEntry[] = [
  {
    id: 'codex',
    label: 'Codex',
    executables: ['codex', '@openai/codex'],
    routes: {
      // Codex follows HTTPS_PROXY (no loopback bypass) and trusts CODEX_CA_CERTIFICATE.
      chatgpt: { mode: 'proxy', defaultUpstream: 'https://chatgpt.com/backend-api/codex' },
      openai: { mode: 'proxy', defaultUpstream: OPENAI },
      'built-in': { mode: 'proxy' },
      custom: { mode: 'gateway', override: 'codex-provider' },
    },
    read: readCodex,
  },
  {
    id: 'claude',
    label: 'Claude Code',
    executables: ['claude', '@anthropic-ai/claude-code'],
    routes: {
      anthropic: {
        mode: 'gateway',
        variables: ['ANTHROPIC_BASE_URL'],
        override: 'claude-settings',
        defaultUpstream: 'https://api.anthropic.com',
      },
      bedrock: { mode: 'gateway', variables: ['ANTHROPIC_BEDROCK_BASE_URL'], override: 'claude-settings' },
      // SigV4 signs the host the request goes to: a gateway address breaks the signature.
      'bedrock-sigv4': { mode: 'proxy' },
      vertex: { mode: 'gateway', variables: ['ANTHROPIC_VERTEX_BASE_URL'], override: 'claude-settings' },
    },
    read: (sources) => readClaude(sources),
  },
  {
    id: 'gemini',
    label: 'Gemini CLI',
    executables: ['gemini', '@google/gemini-cli'],
    routes: {
      'api-key': {
        mode: 'gateway',
        variables: ['GOOGLE_GEMINI_BASE_URL', 'GEMINI_API_BASE'],
        defaultUpstream: 'https://generativelanguage.googleapis.com',
      },
      vertex: { mode: 'gateway', variables: ['GOOGLE_VERTEX_BASE_URL'] },
      // Signed in with Google: Code Assist's servers, which no base-URL setting reaches.
      oauth: { mode: 'proxy' },
    },
    read: (sources) => readGemini(sources),
  },
  {
    id: 'qwen',
    label: 'Qwen Code',
    executables: ['qwen', '@qwen-code/qwen-code'],
    routes: {
      openai: { mode: 'gateway', variables: ['OPENAI_BASE_URL'], defaultUpstream: OPENAI },
      oauth: { mode: 'proxy' },
    },
    read: (sources) => readQwen(sources),
  },
  {
    id: 'kimi',
    label: 'Kimi CLI',
    executables: ['kimi', 'kimi-cli'],
    routes: {
      kimi: { mode: 'gateway', variables: ['KIMI_BASE_URL'], defaultUpstream: 'https://api.moonshot.cn/v1' },
      openai: { mode: 'gateway', variables: ['OPENAI_BASE_URL'], defaultUpstream: OPENAI },
      other: { mode: 'proxy' },
    },
    read: readKimi,
  },
  {
    id: 'opencode',
    label: 'OpenCode',
    // Its providers' base URLs live in opencode.json, one per provider; Bun follows HTTPS_PROXY and NODE_EXTRA_CA_CERTS.
    executables: ['opencode', 'opencode-ai'],
    routes: { any: { mode: 'proxy' } },
  },
  {
    id: 'aider',
    label: 'aider',
    // A Python program (litellm over httpx): the proxy variables and the CA bundle, as any Python script.
    executables: ['aider', 'aider-chat'],
    routes: { any: { mode: 'proxy' } },
  },
];

/** Launchers whose first non-flag argument is the program they start. */
const LAUNCHERS = new Set([
  'node',
  'nodejs',
  'npx',
  'bun',
  'bunx',
  'pnpx',
  'deno',
  'python',
  'python3',
  'uv',
  'uvx',
  'pipx',
]);

/** The program's name: its file's base name without the extension a launcher or Windows adds. */
function programName(arg: string): string {
  const scoped = /^@[^/]+\/[^@/]+/.exec(arg);
  if (scoped) return scoped[0];
  return path
    .basename(arg)
    .replace(/@[^@]*$/, '')
    .replace(/\.(js|mjs|cjs|exe|cmd|py)$/i, '');
}

export interface Recognised {
  entry: AgentEntry;
  /** Where the agent's own arguments start in the command (after its executable or script). */
  argsAt: number;
}

/** The agent a command starts, by its executable (or the script a launcher runs): null for anything else. */
export function recogniseAgent(command: readonly string[]): Recognised | null {
  let at = 0;
  if (LAUNCHERS.has(programName(command[0] ?? '').toLowerCase())) {
    at = command.findIndex((arg, i) => i > 0 && !arg.startsWith('-') && arg !== 'run' && arg !== 'tool');
    if (at < 0) return null;
  }
  const name = programName(command[at]);
  const entry = AGENTS.find((a) => a.executables.includes(name));
  return entry ? { entry, argsAt: at + 1 } : null;
}

export interface PlanInput {
  command: readonly string[];
  sources: ConfigSources;
  /** --mode, when given. */
  requested?: CaptureMode;
  /** Every proxy and CA variable (cli/launch-env.ts): the proxy capture. */
  proxyEnv: LaunchEnv;
  /** wirelog's gateway address (http://127.0.0.1:PORT); null when the proxy is not on loopback (the gateway then needs a token). */
  gatewayBase: string | null;
}

export interface LaunchPlan {
  agent: AgentEntry | null;
  route: string | null;
  mode: CaptureMode;
  env: LaunchEnv;
  /** The command to start, the config overrides in place. */
  command: string[];
  /** The arguments added, for --explain (`-c key=value`, `--settings JSON`). */
  added: string[][];
  /** The base URL the agent keeps calling through wirelog, when known. */
  upstream: string | null;
  /** One line: why this capture. */
  why: string;
}

const PROXY_VARIABLES = ['HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'http_proxy', 'https_proxy', 'all_proxy'];

/** A TOML key segment: bare when TOML allows it, else a quoted string. */
function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
}

/** The origin of a value, in words: `ANTHROPIC_BASE_URL in ~/.claude/settings.json`. */
function originText(origin: Origin): string {
  if (origin.kind === 'env') return t('launch.from.env', { name: origin.name });
  if (origin.kind === 'file') return t('launch.from.file', { name: origin.key, file: origin.file });
  return t('launch.from.default');
}

/**
 * In gateway mode the agent calls wirelog on loopback: a proxy the user set for everything else
 * must not carry that call, so loopback joins their NO_PROXY (nothing else changes).
 */
function gatewayNoProxy(env: NodeJS.ProcessEnv): Record<string, string> {
  if (!PROXY_VARIABLES.some((name) => env[name])) return {};
  const kept = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const value = [...new Set([...kept, '127.0.0.1', 'localhost', '::1'])].join(',');
  return { NO_PROXY: value, no_proxy: value };
}

export function planLaunch(input: PlanInput): LaunchPlan {
  const { command, sources, requested, proxyEnv } = input;
  const recognised = recogniseAgent(command);
  const proxyPlan = (
    agent: AgentEntry | null,
    route: string | null,
    upstream: string | null,
    why: string,
  ): LaunchPlan => ({ agent, route, mode: 'proxy', env: proxyEnv, command: [...command], added: [], upstream, why });

  if (!recognised) {
    if (requested === 'gateway') throw new UsageError(t('launch.gatewayUnknown', { command: command[0] }));
    return proxyPlan(null, null, null, t('launch.why.generic', { command: path.basename(command[0]) }));
  }
  const { entry, argsAt } = recognised;
  const agentArgs = command.slice(argsAt);
  const unread: AgentSetup = { route: Object.keys(entry.routes)[0], upstream: null, origin: { kind: 'default' } };
  let setup = unread;
  if (entry.read && requested !== 'proxy') setup = entry.read(sources, agentArgs);
  else if (entry.read) {
    // --mode proxy needs nothing read: a config file the agent would reject does not stop it
    // (what is read only names a loopback upstream for the hint).
    try {
      setup = entry.read(sources, agentArgs);
    } catch {
      setup = unread;
    }
  }
  const route = entry.routes[setup.route];
  const given = setup.upstream ?? route.defaultUpstream ?? null;
  // A base URL already set to wirelog's gateway: the upstream it names, captured once (not a loop).
  const upstream = given === null ? null : (upstreamOfGateway(given) ?? given);
  const params = {
    agent: entry.label,
    upstream: upstream ?? '',
    from: originText(setup.origin),
    provider: setup.provider ?? '',
    variables: (route.variables ?? []).join(', '),
  };

  if (requested === 'proxy')
    return proxyPlan(entry, setup.route, upstream, t('launch.why.forced', { agent: entry.label, mode: 'proxy' }));
  const gatewayWay = route.variables !== undefined || route.override === 'codex-provider';
  if (requested === 'gateway' && !gatewayWay)
    throw new UsageError(
      t('launch.gatewayImpossible', { agent: entry.label, why: t(`launch.why.${entry.id}.${setup.route}`, params) }),
    );
  if (route.mode === 'proxy' && requested !== 'gateway')
    return proxyPlan(entry, setup.route, upstream, t(`launch.why.${entry.id}.${setup.route}`, params));
  if (!upstream) throw new UsageError(t('launch.noUpstream', { agent: entry.label }));
  if (!input.gatewayBase)
    return proxyPlan(entry, setup.route, upstream, t('launch.why.gatewayNotLocal', { agent: entry.label }));

  const gateway = gatewayUrl(upstream, input.gatewayBase);
  const set: Record<string, string> = { ...gatewayNoProxy(sources.env) };
  for (const name of route.variables ?? []) set[name] = gateway;
  const added: string[][] = [];
  if (route.override === 'codex-provider') {
    added.push(['-c', `model_providers.${tomlKey(setup.provider!)}.base_url=${JSON.stringify(gateway)}`]);
  } else if (route.override === 'claude-settings' && setup.fileVariables?.length) {
    // A settings file's env wins over the environment: only --settings wins over the file.
    const env = Object.fromEntries(
      setup.fileVariables.filter((name) => route.variables?.includes(name)).map((name) => [name, gateway]),
    );
    if (Object.keys(env).length > 0) added.push(['--settings', JSON.stringify({ env })]);
  }
  const why =
    requested === 'gateway' && route.mode !== 'gateway'
      ? t('launch.why.forced', { agent: entry.label, mode: 'gateway' })
      : t(`launch.why.${entry.id}.${setup.route}`, params);
  return {
    agent: entry,
    route: setup.route,
    mode: 'gateway',
    env: { set, unset: [] },
    command: [...command.slice(0, argsAt), ...added.flat(), ...agentArgs],
    added,
    upstream,
    why,
  };
}

/** A URL whose host is this machine: clients such as Go's and Chromium's skip the proxy for it. */
export function isLoopbackUrl(value: string): boolean {
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
    const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '::1';
  } catch {
    return false;
  }
}

/**
 * The loopback URLs a proxied command will likely call: its arguments, and base-URL variables
 * of its environment (`*_BASE_URL`, `*_API_BASE`, `*_ENDPOINT`); each with its gateway form.
 */
export function loopbackTargets(
  command: readonly string[],
  env: NodeJS.ProcessEnv,
  upstream: string | null,
  gatewayBase: string | null,
  proxyUrl: string,
): { url: string; gateway: string | null }[] {
  const candidates = [
    ...(upstream ? [upstream] : []),
    ...command.slice(1).flatMap((arg) => arg.match(/https?:\/\/[^\s'"<>]+/g) ?? []),
  ];
  for (const [name, value] of Object.entries(env))
    if (value && /(_BASE_URL|_API_BASE|_BASE|_ENDPOINT|_URL)$/.test(name)) candidates.push(value);
  const own = new URL(proxyUrl).host;
  const found = new Map<string, string | null>();
  for (const url of candidates) {
    if (!isLoopbackUrl(url) || new URL(url).host === own || found.has(url)) continue;
    let gateway: string | null = null;
    try {
      gateway = gatewayBase ? gatewayUrl(url, gatewayBase) : null;
    } catch {
      gateway = null;
    }
    found.set(url, gateway);
  }
  return [...found].map(([url, gateway]) => ({ url, gateway }));
}
