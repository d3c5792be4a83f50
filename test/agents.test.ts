// `wirelog run --explain -- <agent>`, table-driven: for each agent and auth mode, what the user's
// environment and config files say (in memory here), the capture chosen, the lines printed
// (NAME=value, -c / --settings, then `# why`), masked and quoted for the shell. The real agents
// run in test/agents-clients.test.ts.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AgentConfigError, withoutJsonComments, parseDotEnv, type ConfigSources } from '../cli/agent-config.ts';
import { AGENTS, loopbackTargets, planLaunch, recogniseAgent, type CaptureMode } from '../cli/agents.ts';
import type { LaunchEnv } from '../cli/launch-env.ts';
import { createI18n } from '../i18n/index.ts';
import { takeLanguageFlag } from '../cli/language.ts';
import { explainLines, shellQuote } from '../cli/run.ts';
import { UsageError } from '../cli/usage-error.ts';

takeLanguageFlag(['--lang', 'en']);

const HOME = '/home/dev';
const CWD = '/home/dev/project';
const PROXY = 'http://127.0.0.1:8899';
const GATEWAY = 'http://127.0.0.1:8899';

function sources(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): ConfigSources {
  return { env, home: HOME, cwd: CWD, read: (file) => files[file] ?? null };
}

/** The proxy capture's variables (cli/launch-env.ts makes the whole set; a few of them stand for it here). */
const proxyEnv = (): LaunchEnv => ({
  set: {
    HTTPS_PROXY: PROXY,
    https_proxy: PROXY,
    CODEX_CA_CERTIFICATE: '/data/ca.pem',
    NODE_EXTRA_CA_CERTS: '/data/ca.pem',
    SSL_CERT_FILE: '/data/bundle.pem',
  },
  unset: ['NO_PROXY', 'no_proxy'],
});

interface Case {
  name: string;
  command: string[];
  files?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  mode?: CaptureMode;
  /** The capture chosen. */
  expect: CaptureMode;
  /** Every line --explain prints (bash) before the `# why` line, in order. */
  lines?: string[];
  /** Lines that must be among those printed. */
  has?: string[];
  /** Text that must not appear anywhere in the output. */
  hides?: string[];
  /** The command as started. */
  started?: string[];
  why: RegExp;
}

const CODEX_CONFIG = `${HOME}/.codex/config.toml`;
const RELAY_TOML = [
  'model = "gpt-5"',
  'model_provider = "relay"',
  '[model_providers.relay]',
  'name = "relay"',
  'base_url = "https://relay.example/v1"',
  'env_key = "RELAY_KEY"',
  '[profiles.work]',
  'model_provider = "office"',
  '[model_providers.office]',
  'base_url = "https://office.example/openai/v1"',
].join('\n');

const CASES: Case[] = [
  {
    name: 'Codex, a custom provider in config.toml: the gateway through -c, config.toml untouched',
    command: ['codex', 'exec', 'hello'],
    files: { [CODEX_CONFIG]: RELAY_TOML },
    expect: 'gateway',
    lines: [`-c 'model_providers.relay.base_url="${GATEWAY}/https/relay.example/v1"'`],
    started: ['codex', '-c', `model_providers.relay.base_url="${GATEWAY}/https/relay.example/v1"`, 'exec', 'hello'],
    why: /^Codex with its provider relay calls https:\/\/relay\.example\/v1 \(model_providers\.relay\.base_url in ~\/\.codex\/config\.toml\): wirelog's gateway/,
  },
  {
    name: 'Codex, the profile chosen with -p names another provider',
    command: ['codex', '-p', 'work', 'exec', 'hi'],
    files: { [CODEX_CONFIG]: RELAY_TOML },
    expect: 'gateway',
    lines: [`-c 'model_providers.office.base_url="${GATEWAY}/https/office.example/openai/v1"'`],
    why: /provider office calls https:\/\/office\.example\/openai\/v1/,
  },
  {
    name: 'Codex, CODEX_HOME elsewhere and a -c model_provider override',
    command: ['codex', '-c', 'model_provider="office"', 'exec', 'hi'],
    env: { CODEX_HOME: '/opt/codex' },
    files: { '/opt/codex/config.toml': RELAY_TOML },
    expect: 'gateway',
    has: [`-c 'model_providers.office.base_url="${GATEWAY}/https/office.example/openai/v1"'`],
    why: /\/opt\/codex\/config\.toml/,
  },
  {
    name: 'Codex signed in with ChatGPT: the proxy with CODEX_CA_CERTIFICATE (chatgpt.com/backend-api/codex takes no base URL)',
    command: ['codex', 'exec', 'hi'],
    files: {
      [`${HOME}/.codex/auth.json`]: JSON.stringify({
        OPENAI_API_KEY: null,
        tokens: { access_token: 'eyJ-secret-token-value-1234', refresh_token: 'r' },
      }),
    },
    expect: 'proxy',
    has: [
      'unset NO_PROXY',
      `HTTPS_PROXY='${PROXY}'`,
      "CODEX_CA_CERTIFICATE='/data/ca.pem'",
      "SSL_CERT_FILE='/data/bundle.pem'",
    ],
    hides: ['eyJ-secret'],
    why: /^Codex signed in with ChatGPT calls https:\/\/chatgpt\.com\/backend-api\/codex/,
  },
  {
    name: 'Codex with an API key and OPENAI_BASE_URL: the proxy, keeping that upstream',
    command: ['codex', 'exec', 'hi'],
    env: { OPENAI_API_KEY: 'sk-live-abcdefghijklmnop', OPENAI_BASE_URL: 'https://openrouter.ai/api/v1' },
    expect: 'proxy',
    has: [`HTTPS_PROXY='${PROXY}'`],
    hides: ['sk-live-abcdefghijklmnop'],
    why: /^Codex with an OpenAI API key calls https:\/\/openrouter\.ai\/api\/v1 \(OPENAI_BASE_URL in the environment\): the proxy/,
  },
  {
    name: 'Claude Code with nothing set: the gateway to api.anthropic.com through ANTHROPIC_BASE_URL',
    command: ['claude', '-p', 'hi'],
    expect: 'gateway',
    lines: [`ANTHROPIC_BASE_URL='${GATEWAY}/https/api.anthropic.com'`],
    started: ['claude', '-p', 'hi'],
    why: /^Claude Code calls https:\/\/api\.anthropic\.com \(its default\): wirelog's gateway through ANTHROPIC_BASE_URL/,
  },
  {
    name: "Claude Code with a relay in settings.json's env (cc-switch): --settings too, since the file wins over the environment; its token never printed",
    command: ['claude', '-p', 'hi'],
    files: {
      [`${HOME}/.claude/settings.json`]: JSON.stringify({
        env: { ANTHROPIC_BASE_URL: 'https://relay.example/api', ANTHROPIC_AUTH_TOKEN: 'sk-relay-secret-9999' },
      }),
    },
    expect: 'gateway',
    lines: [
      `ANTHROPIC_BASE_URL='${GATEWAY}/https/relay.example/api'`,
      `--settings '{"env":{"ANTHROPIC_BASE_URL":"${GATEWAY}/https/relay.example/api"}}'`,
    ],
    started: [
      'claude',
      '--settings',
      `{"env":{"ANTHROPIC_BASE_URL":"${GATEWAY}/https/relay.example/api"}}`,
      '-p',
      'hi',
    ],
    hides: ['sk-relay-secret'],
    why: /\(env\.ANTHROPIC_BASE_URL in ~\/\.claude\/settings\.json\)/,
  },
  {
    name: 'Claude Code: the project settings.local.json wins over the user settings and the environment',
    command: ['claude'],
    env: { ANTHROPIC_BASE_URL: 'https://from-env.example' },
    files: {
      [`${HOME}/.claude/settings.json`]: '{"env":{"ANTHROPIC_BASE_URL":"https://user.example"}}',
      [`${CWD}/.claude/settings.local.json`]: '// mine\n{"env":{"ANTHROPIC_BASE_URL":"https://local.example",},}',
    },
    expect: 'gateway',
    has: [`ANTHROPIC_BASE_URL='${GATEWAY}/https/local.example'`],
    why: /project\/\.claude\/settings\.local\.json/,
  },
  {
    name: 'Claude Code on Bedrock with an API key: ANTHROPIC_BEDROCK_BASE_URL, the region kept',
    command: ['claude', '-p', 'hi'],
    env: {
      CLAUDE_CODE_USE_BEDROCK: '1',
      AWS_REGION: 'eu-west-1',
      AWS_BEARER_TOKEN_BEDROCK: 'bedrock-api-key-abcdefgh',
    },
    expect: 'gateway',
    lines: [`ANTHROPIC_BEDROCK_BASE_URL='${GATEWAY}/https/bedrock-runtime.eu-west-1.amazonaws.com'`],
    hides: ['bedrock-api-key'],
    why: /^Claude Code on Bedrock with an API key/,
  },
  {
    name: 'Claude Code on Bedrock signing with AWS credentials: the proxy (a gateway address would break SigV4)',
    command: ['claude'],
    env: { CLAUDE_CODE_USE_BEDROCK: 'true' },
    expect: 'proxy',
    has: [`HTTPS_PROXY='${PROXY}'`, "NODE_EXTRA_CA_CERTS='/data/ca.pem'"],
    why: /SigV4/,
  },
  {
    name: 'Claude Code on Vertex AI: ANTHROPIC_VERTEX_BASE_URL for its region',
    command: ['claude'],
    env: { CLAUDE_CODE_USE_VERTEX: '1', CLOUD_ML_REGION: 'europe-west4' },
    expect: 'gateway',
    lines: [`ANTHROPIC_VERTEX_BASE_URL='${GATEWAY}/https/europe-west4-aiplatform.googleapis.com/v1'`],
    why: /Vertex AI/,
  },
  {
    name: 'Gemini CLI with an API key: GOOGLE_GEMINI_BASE_URL and GEMINI_API_BASE to the gateway',
    command: ['gemini', '-p', 'hi'],
    env: { GEMINI_API_KEY: 'AIzaSyA-secret-key-0001' },
    expect: 'gateway',
    lines: [
      `GOOGLE_GEMINI_BASE_URL='${GATEWAY}/https/generativelanguage.googleapis.com'`,
      `GEMINI_API_BASE='${GATEWAY}/https/generativelanguage.googleapis.com'`,
    ],
    hides: ['AIzaSyA-secret'],
    why: /^Gemini CLI with an API key calls https:\/\/generativelanguage\.googleapis\.com \(its default\)/,
  },
  {
    name: 'Gemini CLI, a relay in ~/.gemini/.env (cc-switch) read in a trusted folder',
    command: ['gemini', '-p', 'hi'],
    files: {
      [`${HOME}/.gemini/.env`]: 'GOOGLE_GEMINI_BASE_URL="https://relay.example/gemini"\nGEMINI_API_KEY=AIza-x\n',
      [`${HOME}/.gemini/trustedFolders.json`]: JSON.stringify({ [HOME]: 'TRUST_FOLDER' }),
    },
    expect: 'gateway',
    has: [`GOOGLE_GEMINI_BASE_URL='${GATEWAY}/https/relay.example/gemini'`],
    why: /\(GOOGLE_GEMINI_BASE_URL in ~\/\.gemini\/\.env\)/,
  },
  {
    name: 'Gemini CLI in an untrusted folder: ~/.gemini/.env is not read (Gemini CLI would not read it either)',
    command: ['gemini', '-p', 'hi'],
    files: { [`${HOME}/.gemini/.env`]: 'GOOGLE_GEMINI_BASE_URL=https://relay.example/gemini\n' },
    expect: 'gateway',
    has: [`GOOGLE_GEMINI_BASE_URL='${GATEWAY}/https/generativelanguage.googleapis.com'`],
    why: /its default/,
  },
  {
    name: 'Gemini CLI signed in with Google: the proxy (Code Assist takes no base URL)',
    command: ['gemini'],
    files: {
      [`${HOME}/.gemini/settings.json`]:
        '{ // chosen at first start\n "security": { "auth": { "selectedType": "oauth-personal" } } }',
    },
    expect: 'proxy',
    has: [`HTTPS_PROXY='${PROXY}'`, "NODE_EXTRA_CA_CERTS='/data/ca.pem'"],
    why: /signed in with Google/,
  },
  {
    name: 'Qwen Code with an OpenAI-compatible key: OPENAI_BASE_URL',
    command: ['qwen', '-p', 'hi'],
    env: {
      OPENAI_API_KEY: 'sk-qwen-0000000000001',
      OPENAI_BASE_URL: 'https://dashscope.aliyuncs.com/compatible-mode/v1',
    },
    expect: 'gateway',
    lines: [`OPENAI_BASE_URL='${GATEWAY}/https/dashscope.aliyuncs.com/compatible-mode/v1'`],
    why: /^Qwen Code/,
  },
  {
    name: 'Qwen Code with Qwen OAuth: the proxy',
    command: ['qwen'],
    expect: 'proxy',
    why: /Qwen OAuth/,
  },
  {
    name: "Kimi CLI: its default model's provider in ~/.kimi/config.toml, through KIMI_BASE_URL",
    command: ['kimi'],
    files: {
      [`${HOME}/.kimi/config.toml`]:
        'default_model = "k2"\n[models.k2]\nprovider = "moon"\nmodel = "kimi-k2"\n[providers.moon]\ntype = "kimi"\nbase_url = "https://api.moonshot.cn/v1"\napi_key = "sk-moon-secret-0001"\n',
    },
    expect: 'gateway',
    lines: [`KIMI_BASE_URL='${GATEWAY}/https/api.moonshot.cn/v1'`],
    hides: ['sk-moon-secret'],
    why: /providers\.moon\.base_url in ~\/\.kimi\/config\.toml/,
  },
  { name: 'OpenCode: the proxy', command: ['opencode', 'run', 'hi'], expect: 'proxy', why: /^OpenCode/ },
  {
    name: 'aider: the proxy, as any Python program',
    command: ['aider', '--message', 'hi'],
    expect: 'proxy',
    why: /^aider is a Python program/,
  },
  {
    name: 'any other command: every proxy and CA variable, as before',
    command: ['/usr/bin/curl', 'https://example.com'],
    expect: 'proxy',
    has: [`HTTPS_PROXY='${PROXY}'`],
    why: /^curl is not an agent wirelog knows by name/,
  },
  {
    name: 'npx @openai/codex is Codex too, the override after the package',
    command: ['npx', '-y', '@openai/codex', 'exec', 'hi'],
    files: { [CODEX_CONFIG]: RELAY_TOML },
    expect: 'gateway',
    started: [
      'npx',
      '-y',
      '@openai/codex',
      '-c',
      `model_providers.relay.base_url="${GATEWAY}/https/relay.example/v1"`,
      'exec',
      'hi',
    ],
    why: /provider relay/,
  },
  {
    name: '--mode proxy for Claude Code: the proxy, nothing read',
    command: ['claude', '-p', 'hi'],
    mode: 'proxy',
    files: { [`${HOME}/.claude/settings.json`]: '{ not json' },
    expect: 'proxy',
    has: [`HTTPS_PROXY='${PROXY}'`],
    why: /^Claude Code through the proxy, as --mode asked/,
  },
  {
    name: 'a base URL with a key in its query: masked in what is printed',
    command: ['gemini', '-p', 'hi'],
    env: { GOOGLE_GEMINI_BASE_URL: 'https://relay.example/v1beta?key=AIzaSyZ-very-secret-0042' },
    expect: 'gateway',
    hides: ['AIzaSyZ-very-secret'],
    why: /relay\.example/,
  },
  {
    name: "gateway mode with the user's own proxy set: loopback joins their NO_PROXY",
    command: ['claude'],
    env: { HTTPS_PROXY: 'http://corp-proxy:3128', NO_PROXY: 'internal.example' },
    expect: 'gateway',
    has: ["NO_PROXY='internal.example,127.0.0.1,localhost,::1'", "no_proxy='internal.example,127.0.0.1,localhost,::1'"],
    why: /Claude Code/,
  },
];

describe('wirelog run --explain, agent by agent', () => {
  it.each(CASES)('$name', (c) => {
    const plan = planLaunch({
      command: c.command,
      sources: sources(c.files ?? {}, c.env ?? {}),
      requested: c.mode,
      proxyEnv: proxyEnv(),
      gatewayBase: GATEWAY,
    });
    expect(plan.mode).toBe(c.expect);
    const lines = explainLines(plan, 'bash');
    const why = lines.at(-1)!;
    expect(why.startsWith('# ')).toBe(true);
    expect(why.slice(2)).toMatch(c.why);
    const body = lines.slice(0, -1);
    // Every line is an assignment, an unset or an argument line, quoted whole.
    for (const line of body)
      expect(line).toMatch(/^(unset [A-Za-z_]+|[A-Za-z_][A-Za-z0-9_]*='[^']*'|-c '[^']*'|--settings '[^']*')$/);
    if (c.lines) expect(body).toEqual(c.lines);
    for (const line of c.has ?? []) expect(body).toContain(line);
    for (const secret of c.hides ?? []) expect(lines.join('\n')).not.toContain(secret);
    if (c.started) expect(plan.command).toEqual(c.started);
    // A gateway plan sets no proxy or CA variable: the agent calls wirelog in plain HTTP on loopback.
    if (c.expect === 'gateway')
      expect(
        Object.keys(plan.env.set).filter((n) => /PROXY$|CA_CERT|CERT_FILE/i.test(n) && !/^no_proxy$/i.test(n)),
      ).toEqual([]);
  });

  it('--mode gateway where no setting reaches the agent: one line saying why, and what to do', () => {
    const plan = () =>
      planLaunch({
        command: ['codex', 'exec', 'hi'],
        sources: sources({}, { OPENAI_API_KEY: 'sk-1' }),
        requested: 'gateway',
        proxyEnv: proxyEnv(),
        gatewayBase: GATEWAY,
      });
    expect(plan).toThrow(UsageError);
    expect(plan).toThrow(
      /^Codex cannot go through the gateway here \(Codex with an OpenAI API key calls https:\/\/api\.openai\.com\/v1 .*\): leave out --mode gateway$/,
    );
    expect(() =>
      planLaunch({
        command: ['curl', 'x'],
        sources: sources({}),
        requested: 'gateway',
        proxyEnv: proxyEnv(),
        gatewayBase: GATEWAY,
      }),
    ).toThrow(/wirelog url BASE_URL/);
  });

  it('a config file the agent would read that does not parse: an error naming the file', () => {
    const bad = () =>
      planLaunch({
        command: ['codex', 'exec'],
        sources: sources({ [CODEX_CONFIG]: 'model_provider = "relay' }),
        proxyEnv: proxyEnv(),
        gatewayBase: GATEWAY,
      });
    expect(bad).toThrow(AgentConfigError);
    try {
      bad();
    } catch (err) {
      expect((err as AgentConfigError).file).toBe(CODEX_CONFIG);
    }
    // A provider named but not defined: Codex would stop too; said with the table it needs.
    expect(() =>
      planLaunch({
        command: ['codex'],
        sources: sources({ [CODEX_CONFIG]: 'model_provider = "ghost"' }),
        proxyEnv: proxyEnv(),
        gatewayBase: GATEWAY,
      }),
    ).toThrow(/model_provider "ghost" has no \[model_providers\.ghost\] base_url/);
  });

  it('a proxy beyond loopback (its gateway needs a token): the proxy, said why', () => {
    const plan = planLaunch({ command: ['claude'], sources: sources({}), proxyEnv: proxyEnv(), gatewayBase: null });
    expect(plan.mode).toBe('proxy');
    expect(plan.why).toMatch(/needs a token/);
  });

  it('every agent in the table has a why line for each route, in both languages', () => {
    for (const lang of ['en', 'zh-CN'] as const) {
      const t = createI18n(lang).t;
      for (const agent of AGENTS)
        for (const route of Object.keys(agent.routes))
          expect(
            t(`launch.why.${agent.id}.${route}`, {
              agent: 'x',
              upstream: 'u',
              from: 'f',
              provider: 'p',
              variables: 'v',
            }),
          ).not.toMatch(/^launch\./);
    }
  });
});

describe('recognising agents', () => {
  it.each([
    [['codex', 'exec'], 'codex', 1],
    [['/usr/local/bin/claude', '-p', 'x'], 'claude', 1],
    [['node', '/opt/node_modules/@google/gemini-cli/bundle/gemini.js', '-p'], 'gemini', 2],
    [['npx', '--yes', '@anthropic-ai/claude-code@2.1.112', '-p'], 'claude', 3],
    [['C:\\tools\\codex.exe', 'exec'], 'codex', 1],
    [['python3', 'script.py'], null, 0],
    [['curl'], null, 0],
  ] as const)('%j is %s', (command, id, argsAt) => {
    const found = recogniseAgent(command.map((c) => c.replaceAll('\\', path.sep === '\\' ? '\\' : '/')));
    expect(found?.entry.id ?? null).toBe(id);
    if (found) expect(found.argsAt).toBe(argsAt);
  });
});

describe('quoting for the shell it is pasted into', () => {
  const value = `it's $HOME \`x\` \\n`;
  it('bash and zsh: single quotes, a quote closed and escaped', () =>
    expect(shellQuote(value, 'bash')).toBe(`'it'\\''s $HOME \`x\` \\n'`));
  it('fish: backslash and quote escaped inside single quotes', () =>
    expect(shellQuote(value, 'fish')).toBe(`'it\\'s $HOME \`x\` \\\\n'`));
  it('PowerShell: a quote doubled', () => expect(shellQuote(value, 'powershell')).toBe(`'it''s $HOME \`x\` \\n'`));
  it('PowerShell lines set $env:NAME', () => {
    const plan = planLaunch({ command: ['claude'], sources: sources({}), proxyEnv: proxyEnv(), gatewayBase: GATEWAY });
    expect(explainLines(plan, 'powershell')[0]).toBe(`$env:ANTHROPIC_BASE_URL='${GATEWAY}/https/api.anthropic.com'`);
  });
});

describe('a loopback target under the proxy', () => {
  it('its gateway form, from the arguments and base-URL variables; wirelog itself left out', () => {
    const found = loopbackTargets(
      ['./my-go-tool', '--api', 'http://localhost:11434/v1'],
      { OPENAI_BASE_URL: 'http://127.0.0.1:8000/v1', OTHER: 'http://127.0.0.1:9/', WIRELOG_URL: `${PROXY}/x` },
      null,
      GATEWAY,
      PROXY,
    );
    expect(found).toEqual([
      { url: 'http://localhost:11434/v1', gateway: `${GATEWAY}/http/localhost:11434/v1` },
      { url: 'http://127.0.0.1:8000/v1', gateway: `${GATEWAY}/http/127.0.0.1:8000/v1` },
    ]);
    expect(loopbackTargets(['curl', 'https://api.openai.com/v1'], {}, null, GATEWAY, PROXY)).toEqual([]);
  });
});

describe('config text as the agents read it', () => {
  it('settings.json with comments and trailing commas', () =>
    expect(JSON.parse(withoutJsonComments('{"a": "x // not a comment", /* c */ "b": [1,],}'))).toEqual({
      a: 'x // not a comment',
      b: [1],
    }));
  it('.env lines', () =>
    expect(parseDotEnv('# c\nexport A=1\nB="two words"\nC=three # note\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'three',
    }));
});
