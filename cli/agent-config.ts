// What an agent would call if wirelog were not there: read from its environment and its own
// config files (~/.codex/config.toml and auth.json, Claude Code's settings.json `env`, Gemini
// CLI's and Qwen Code's settings.json and .env, Kimi CLI's config.toml), the way the agent
// itself reads them. cc-switch writes its choice of relay into those same files (Claude Code's
// settings.json `env`, Codex's config.toml, Gemini CLI's ~/.gemini/.env), so it is read there.
// Nothing here ever writes a file: wirelog run changes what the agent sees through its
// environment and its command line only.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';

/** Where the readers look: the agent's environment, the home and working directories, and files. */
export interface ConfigSources {
  env: NodeJS.ProcessEnv;
  home: string;
  cwd: string;
  /** A file's text; null when it is absent (a file that cannot be read is an error). */
  read(file: string): string | null;
}

export function realSources(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): ConfigSources {
  return {
    env,
    home: env.HOME || os.homedir(),
    cwd,
    read(file) {
      try {
        return fs.readFileSync(file, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        throw new AgentConfigError(file, (err as Error).message);
      }
    },
  };
}

/** A config file the agent would read that wirelog cannot: said in one line with the file (cli/run.ts words it). */
export class AgentConfigError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** Where a value came from: a variable of the environment, a key of a file, or the agent's own default. */
export type Origin = { kind: 'env'; name: string } | { kind: 'file'; file: string; key: string } | { kind: 'default' };

/** What the agent will call, as its table entry's route (cli/agents.ts) and the base URL it would use. */
export interface AgentSetup {
  route: string;
  /** The base URL the agent would call; null: the route's default in the table. */
  upstream: string | null;
  origin: Origin;
  /** Codex's model provider id. */
  provider?: string;
  /** Base-URL variables a settings file sets: they win over the environment, so the agent's settings flag must carry them too. */
  fileVariables?: string[];
}

// ---- small readers ----

function parseTomlFile(src: ConfigSources, file: string): Record<string, unknown> | null {
  const text = src.read(file);
  if (text === null) return null;
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new AgentConfigError(file, (err as Error).message.split('\n')[0]);
  }
}

/** JSON with comments and trailing commas, as Gemini CLI and Claude Code accept in settings.json. */
function parseJsonFile(src: ConfigSources, file: string): Record<string, unknown> | null {
  const text = src.read(file);
  if (text === null) return null;
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(withoutJsonComments(text));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch (err) {
    throw new AgentConfigError(file, (err as Error).message);
  }
}

/** Drops // and /* comments outside strings, and commas before a closing bracket. */
export function withoutJsonComments(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else out += c;
  }
  return out.replace(/,(\s*[}\]])/g, '$1');
}

/** A .env file (KEY=value, `export KEY=value`, quoted values, # comments), as dotenv reads it. */
export function parseDotEnv(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    let value = m[2];
    const quote = value[0];
    if ((quote === '"' || quote === "'" || quote === '`') && value.endsWith(quote) && value.length > 1) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n');
    } else value = value.replace(/\s+#.*$/, '');
    vars[m[1]] = value;
  }
  return vars;
}

const record = (value: unknown): Record<string, unknown> =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
const truthy = (value: string | undefined): boolean => /^(1|true|yes|on)$/i.test(value?.trim() ?? '');

/** `~/...` for a file under the home directory: shorter, and the same on every machine. */
export function homeRelative(src: ConfigSources, file: string): string {
  const rel = path.relative(src.home, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? `~/${rel.split(path.sep).join('/')}` : file;
}

/** The value of the first of `names` set in `env`, with where it came from. */
function fromEnv(
  env: Record<string, string | undefined>,
  names: readonly string[],
  origins: Map<string, Origin> = new Map(),
): { value: string; origin: Origin } | null {
  for (const name of names) {
    const value = text(env[name]);
    if (value) return { value, origin: origins.get(name) ?? { kind: 'env', name } };
  }
  return null;
}

// ---- Codex ----

/** The value of a `-c key=value` override as Codex reads it: TOML, or the raw text when it does not parse. */
function overrideValue(raw: string): unknown {
  try {
    return (parseToml(`v = ${raw}`) as { v: unknown }).v;
  } catch {
    return raw;
  }
}

/** Codex's own command-line settings: `-c key=value` / `--config key=value`, and `-p` / `--profile`. */
function codexArgs(args: readonly string[]): { overrides: Map<string, unknown>; profile?: string; oss: boolean } {
  const overrides = new Map<string, unknown>();
  let profile: string | undefined;
  let oss = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') break;
    const pair =
      arg === '-c' || arg === '--config'
        ? args[++i]
        : arg.startsWith('--config=')
          ? arg.slice('--config='.length)
          : undefined;
    if (pair !== undefined) {
      const eq = pair.indexOf('=');
      if (eq > 0) overrides.set(pair.slice(0, eq).trim(), overrideValue(pair.slice(eq + 1)));
    } else if (arg === '-p' || arg === '--profile') profile = args[++i];
    else if (arg.startsWith('--profile=')) profile = arg.slice('--profile='.length);
    else if (arg === '--oss') oss = true;
  }
  return { overrides, profile, oss };
}

/** Providers Codex has built in; a config.toml cannot redefine them. */
const CODEX_BUILT_IN = new Set(['openai', 'ollama', 'lmstudio', 'oss']);

export function readCodex(src: ConfigSources, args: readonly string[]): AgentSetup {
  const home = text(src.env.CODEX_HOME) ?? path.join(src.home, '.codex');
  const configFile = path.join(home, 'config.toml');
  const config = parseTomlFile(src, configFile) ?? {};
  const cli = codexArgs(args);
  const shown = homeRelative(src, configFile);
  const profileName = cli.profile ?? text(config.profile);
  const profile = profileName ? record(record(config.profiles)[profileName]) : {};
  const provider = cli.oss
    ? 'oss'
    : (text(cli.overrides.get('model_provider')) ??
      text(profile.model_provider) ??
      text(config.model_provider) ??
      'openai');

  if (provider === 'openai') {
    const authFile = path.join(home, 'auth.json');
    const auth = parseJsonFile(src, authFile) ?? {};
    // auth.json records how the user signed in; ChatGPT tokens without a key are the ChatGPT login.
    const mode =
      text(auth.auth_mode)?.toLowerCase() ??
      (record(auth.tokens).access_token && !text(auth.OPENAI_API_KEY) ? 'chatgpt' : 'apikey');
    const route = mode === 'chatgpt' ? 'chatgpt' : 'openai';
    const setting = text(cli.overrides.get('openai_base_url')) ?? text(config.openai_base_url);
    if (route === 'openai' && setting)
      return { route, upstream: setting, origin: { kind: 'file', file: shown, key: 'openai_base_url' }, provider };
    const env = route === 'openai' ? fromEnv(src.env, ['OPENAI_BASE_URL']) : null;
    return env
      ? { route, upstream: env.value, origin: env.origin, provider }
      : { route, upstream: null, origin: { kind: 'default' }, provider };
  }
  if (CODEX_BUILT_IN.has(provider)) return { route: 'built-in', upstream: null, origin: { kind: 'default' }, provider };

  const fromArgs = text(cli.overrides.get(`model_providers.${provider}.base_url`));
  if (fromArgs)
    return {
      route: 'custom',
      upstream: fromArgs,
      origin: { kind: 'env', name: `-c model_providers.${provider}.base_url` },
      provider,
    };
  const table = record(record(config.model_providers)[provider]);
  const baseUrl = text(table.base_url);
  if (!baseUrl)
    throw new AgentConfigError(shown, `model_provider "${provider}" has no [model_providers.${provider}] base_url`);
  return {
    route: 'custom',
    upstream: baseUrl,
    origin: { kind: 'file', file: shown, key: `model_providers.${provider}.base_url` },
    provider,
  };
}

// ---- Claude Code ----

const CLAUDE_ROUTE_VARIABLE: Record<string, string> = {
  anthropic: 'ANTHROPIC_BASE_URL',
  bedrock: 'ANTHROPIC_BEDROCK_BASE_URL',
  vertex: 'ANTHROPIC_VERTEX_BASE_URL',
};

/**
 * Claude Code copies the `env` of its settings files into its environment at start, over the
 * shell's: user settings, then the project's, then the local project's, then managed policy.
 */
export function readClaude(src: ConfigSources): AgentSetup {
  const configDir = text(src.env.CLAUDE_CONFIG_DIR) ?? path.join(src.home, '.claude');
  const files = [
    path.join(configDir, 'settings.json'),
    path.join(src.cwd, '.claude', 'settings.json'),
    path.join(src.cwd, '.claude', 'settings.local.json'),
    '/etc/claude-code/managed-settings.json',
  ];
  const env: Record<string, string | undefined> = { ...src.env };
  const origins = new Map<string, Origin>();
  for (const file of files) {
    const settings = parseJsonFile(src, file);
    for (const [name, value] of Object.entries(record(settings?.env))) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
      env[name] = String(value);
      origins.set(name, { kind: 'file', file: homeRelative(src, file), key: `env.${name}` });
    }
  }
  const bedrock = truthy(env.CLAUDE_CODE_USE_BEDROCK);
  const vertex = !bedrock && truthy(env.CLAUDE_CODE_USE_VERTEX);
  // Bedrock signs every request for the host it is sent to (SigV4): a gateway address breaks the
  // signature. Its API key (a bearer token) or skipped auth leaves nothing signed.
  const signed = bedrock && !text(env.AWS_BEARER_TOKEN_BEDROCK) && !truthy(env.CLAUDE_CODE_SKIP_BEDROCK_AUTH);
  const route = bedrock ? (signed ? 'bedrock-sigv4' : 'bedrock') : vertex ? 'vertex' : 'anthropic';
  const variable = CLAUDE_ROUTE_VARIABLE[route] ?? CLAUDE_ROUTE_VARIABLE.bedrock;
  const set = fromEnv(env, [variable], origins);
  const fileVariables = [...origins.keys()].filter((name) => Object.values(CLAUDE_ROUTE_VARIABLE).includes(name));
  if (set) return { route, upstream: set.value, origin: set.origin, fileVariables };
  const region = (names: string[], fallback: string) => fromEnv(env, names)?.value ?? fallback;
  const upstream =
    route === 'bedrock' || route === 'bedrock-sigv4'
      ? `https://bedrock-runtime.${region(['AWS_REGION', 'AWS_DEFAULT_REGION'], 'us-east-1')}.amazonaws.com`
      : route === 'vertex'
        ? vertexBase(region(['CLOUD_ML_REGION'], 'us-east5'), '/v1')
        : null;
  return { route, upstream, origin: { kind: 'default' }, fileVariables };
}

function vertexBase(region: string, suffix: string): string {
  return region === 'global'
    ? `https://aiplatform.googleapis.com${suffix}`
    : `https://${region}-aiplatform.googleapis.com${suffix}`;
}

// ---- Gemini CLI and Qwen Code (its fork) ----

/**
 * The environment as Gemini CLI sees it: its own, plus the first .env found from the working
 * directory up (`.gemini/.env` before `.env` in each), then in the home directory; a .env never
 * overrides a variable already set.
 */
function geminiEnv(
  src: ConfigSources,
  dir: string,
): { env: Record<string, string | undefined>; origins: Map<string, Origin> } {
  const trusted = geminiTrusted(src, dir);
  const candidates: string[] = [];
  for (let d = path.resolve(src.cwd); ; d = path.dirname(d)) {
    candidates.push(...(trusted ? [path.join(d, dir, '.env')] : []), path.join(d, '.env'));
    if (path.dirname(d) === d) break;
  }
  candidates.push(...(trusted ? [path.join(src.home, dir, '.env')] : []), path.join(src.home, '.env'));
  const env: Record<string, string | undefined> = { ...src.env };
  const origins = new Map<string, Origin>();
  for (const file of candidates) {
    const content = src.read(file);
    if (content === null) continue;
    for (const [name, value] of Object.entries(parseDotEnv(content))) {
      // An untrusted folder's .env gives only the auth variables (never a base URL).
      if (env[name] !== undefined || (!trusted && !GEMINI_UNTRUSTED_ENV.includes(name))) continue;
      env[name] = value;
      origins.set(name, { kind: 'file', file: homeRelative(src, file), key: name });
    }
    break;
  }
  return { env, origins };
}

const GEMINI_UNTRUSTED_ENV = ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_CLOUD_PROJECT', 'GOOGLE_CLOUD_LOCATION'];

/**
 * Whether Gemini CLI trusts the working directory (it then reads `.gemini/.env` files): folder
 * trust off in settings.json, GEMINI_CLI_TRUST_WORKSPACE, or the longest matching rule of
 * trustedFolders.json (TRUST_PARENT covers the folder's parent).
 */
function geminiTrusted(src: ConfigSources, dir: string): boolean {
  if (src.env.GEMINI_CLI_TRUST_WORKSPACE === 'false' || src.env.GEMINI_RESTRICTED_MODE === 'true') return false;
  if (src.env.GEMINI_CLI_TRUST_WORKSPACE === 'true') return true;
  const settings = parseJsonFile(src, path.join(src.home, dir, 'settings.json'));
  if (record(record(settings?.security).folderTrust).enabled === false) return true;
  const rules = parseJsonFile(src, path.join(src.home, dir, 'trustedFolders.json')) ?? {};
  const cwd = path.resolve(src.cwd);
  let longest = -1;
  let trusted = false;
  for (const [rulePath, level] of Object.entries(rules)) {
    const effective = path.resolve(level === 'TRUST_PARENT' ? path.dirname(rulePath) : rulePath);
    const inside = cwd === effective || cwd.startsWith(effective.endsWith(path.sep) ? effective : effective + path.sep);
    if (inside && effective.length > longest) {
      longest = effective.length;
      trusted = level === 'TRUST_FOLDER' || level === 'TRUST_PARENT';
    }
  }
  return trusted;
}

/** The auth type chosen in settings.json (workspace over user), as `security.auth.selectedType` or the older `selectedAuthType`. */
function selectedAuthType(src: ConfigSources, dir: string): string | undefined {
  let selected: string | undefined;
  for (const file of [path.join(src.home, dir, 'settings.json'), path.join(src.cwd, dir, 'settings.json')]) {
    const settings = parseJsonFile(src, file);
    if (!settings) continue;
    selected = text(record(record(settings.security).auth).selectedType) ?? text(settings.selectedAuthType) ?? selected;
  }
  return selected;
}

export function readGemini(src: ConfigSources): AgentSetup {
  const { env, origins } = geminiEnv(src, '.gemini');
  // Gemini CLI's own order when settings.json chose nothing (getAuthTypeFromEnv).
  const selected =
    selectedAuthType(src, '.gemini') ??
    (env.GOOGLE_GENAI_USE_GCA === 'true'
      ? 'oauth-personal'
      : env.GOOGLE_GENAI_USE_VERTEXAI === 'true'
        ? 'vertex-ai'
        : env.CLOUD_SHELL === 'true'
          ? 'compute-default-credentials'
          : 'gemini-api-key');
  const route =
    selected === 'vertex-ai' ? 'vertex' : selected === 'gemini-api-key' || selected === 'gateway' ? 'api-key' : 'oauth';
  if (route === 'oauth') return { route, upstream: null, origin: { kind: 'default' } };
  const names = route === 'vertex' ? ['GOOGLE_VERTEX_BASE_URL'] : ['GOOGLE_GEMINI_BASE_URL', 'GEMINI_API_BASE'];
  const set = fromEnv(env, names, origins);
  if (set) return { route, upstream: set.value, origin: set.origin };
  const upstream =
    route === 'vertex' ? vertexBase(fromEnv(env, ['GOOGLE_CLOUD_LOCATION'])?.value ?? 'us-central1', '') : null;
  return { route, upstream, origin: { kind: 'default' } };
}

export function readQwen(src: ConfigSources): AgentSetup {
  const { env, origins } = geminiEnv(src, '.qwen');
  const selected =
    selectedAuthType(src, '.qwen') ?? (text(env.OPENAI_API_KEY) || text(env.OPENAI_BASE_URL) ? 'openai' : 'qwen-oauth');
  if (selected !== 'openai') return { route: 'oauth', upstream: null, origin: { kind: 'default' } };
  const set = fromEnv(env, ['OPENAI_BASE_URL'], origins);
  return set
    ? { route: 'openai', upstream: set.value, origin: set.origin }
    : { route: 'openai', upstream: null, origin: { kind: 'default' } };
}

// ---- Kimi CLI ----

/** Kimi CLI: the default model's provider in ~/.kimi/config.toml; KIMI_* or OPENAI_* variables override its base_url. */
export function readKimi(src: ConfigSources, args: readonly string[]): AgentSetup {
  let configFile = path.join(src.home, '.kimi', 'config.toml');
  let model: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--config-file') configFile = path.resolve(src.cwd, args[++i] ?? '');
    else if (args[i] === '--model' || args[i] === '-m') model = args[++i];
  }
  const config = parseTomlFile(src, configFile) ?? {};
  const modelName = model ?? text(config.default_model);
  const providerName = modelName ? text(record(record(config.models)[modelName]).provider) : undefined;
  const provider = providerName ? record(record(config.providers)[providerName]) : {};
  const type = text(provider.type) ?? (text(src.env.KIMI_API_KEY) || text(src.env.KIMI_BASE_URL) ? 'kimi' : undefined);
  const route = type === 'kimi' ? 'kimi' : type === 'openai_legacy' || type === 'openai_responses' ? 'openai' : 'other';
  if (route === 'other') return { route, upstream: null, origin: { kind: 'default' } };
  const set = fromEnv(src.env, [route === 'kimi' ? 'KIMI_BASE_URL' : 'OPENAI_BASE_URL']);
  if (set) return { route, upstream: set.value, origin: set.origin };
  const baseUrl = text(provider.base_url);
  if (baseUrl)
    return {
      route,
      upstream: baseUrl,
      origin: { kind: 'file', file: homeRelative(src, configFile), key: `providers.${providerName}.base_url` },
    };
  return { route, upstream: null, origin: { kind: 'default' } };
}
