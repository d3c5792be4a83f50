// A newcomer's first hour, the pure parts: a base URL that is already wirelog's gateway (the
// README's first way, then `wirelog run`, its second) is captured once, not sent to wirelog
// through wirelog; Cherry Studio's "use as typed" `#` survives `wirelog url`; `wirelog run
// claude -p hi` without `--` starts `claude -p hi`; a typo gets the name it meant; an MCP tool's
// argument errors are said in the user's language.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { ConfigSources } from '../cli/agent-config.ts';
import { planLaunch } from '../cli/agents.ts';
import { closestName } from '../cli/closest-name.ts';
import { baseUrlMistake, gatewayUrl, upstreamOfGateway } from '../cli/gateway-url.ts';
import type { LaunchEnv } from '../cli/launch-env.ts';
import { takeLanguageFlag } from '../cli/language.ts';
import { commandStart } from '../cli/run.ts';
import { argumentProblems } from '../mcp/mcp-server.ts';

const HOME = '/home/dev';
const GATEWAY = 'http://127.0.0.1:8899';
const proxyEnv = (): LaunchEnv => ({ set: { HTTPS_PROXY: GATEWAY }, unset: ['NO_PROXY', 'no_proxy'] });

function sources(files: Record<string, string>, env: NodeJS.ProcessEnv = {}): ConfigSources {
  return { env, home: HOME, cwd: `${HOME}/project`, read: (file) => files[file] ?? null };
}

const codexToml = (baseUrl: string) =>
  [
    'model_provider = "x666"',
    '[model_providers.x666]',
    'name = "x666"',
    `base_url = "${baseUrl}"`,
    'env_key = "X666_API_KEY"',
  ].join('\n');

describe('a base URL already in the gateway form is captured once', () => {
  const cases: { name: string; command: string[]; sources: ConfigSources; gatewayBase: string; sent: string }[] = [
    {
      name: "Codex: the README's config.toml (base_url through the gateway), then wirelog run",
      command: ['codex', 'exec', 'hello'],
      sources: sources({ [`${HOME}/.codex/config.toml`]: codexToml(`${GATEWAY}/https/x666.me/v1`) }),
      gatewayBase: GATEWAY,
      sent: `${GATEWAY}/https/x666.me/v1`,
    },
    {
      name: 'Codex: a gateway of another port (a private wirelog), named twice over',
      command: ['codex', 'exec', 'hello'],
      sources: sources({
        [`${HOME}/.codex/config.toml`]: codexToml(`${GATEWAY}/http/127.0.0.1:8899/https/x666.me/v1`),
      }),
      gatewayBase: 'http://127.0.0.1:41000',
      sent: 'http://127.0.0.1:41000/https/x666.me/v1',
    },
    {
      name: 'Claude Code: ANTHROPIC_BASE_URL already the gateway (localhost)',
      command: ['claude', '-p', 'hi'],
      sources: sources(
        {},
        {
          ANTHROPIC_API_KEY: 'sk-ant-000011112222',
          ANTHROPIC_BASE_URL: 'http://localhost:8899/https/zenmux.ai/api/anthropic',
        },
      ),
      gatewayBase: GATEWAY,
      sent: `${GATEWAY}/https/zenmux.ai/api/anthropic`,
    },
    {
      name: 'Gemini CLI: GOOGLE_GEMINI_BASE_URL already the gateway, the upstream host percent-encoded',
      command: ['gemini', '-p', 'hi'],
      sources: sources(
        {},
        { GEMINI_API_KEY: 'AIza000011112222', GOOGLE_GEMINI_BASE_URL: `${GATEWAY}/https/relay.example%3A8443` },
      ),
      gatewayBase: GATEWAY,
      sent: `${GATEWAY}/https/relay.example:8443`,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const plan = planLaunch({
        command: c.command,
        sources: c.sources,
        proxyEnv: proxyEnv(),
        gatewayBase: c.gatewayBase,
      });
      expect(plan.mode).toBe('gateway');
      const values = [...Object.values(plan.env.set), ...plan.added.map(([, value]) => value)].join('\n');
      expect(values).toContain(c.sent);
      // No gateway inside the gateway: what follows wirelog's address is the relay, not wirelog again.
      expect(values).not.toMatch(/\/https?\/(?:127\.0\.0\.1|localhost)/);
    });

  it('a base URL that is not a gateway is kept as it is', () => {
    for (const url of [
      'https://x666.me/v1',
      'http://127.0.0.1:11434/v1',
      'http://127.0.0.1:8899/v1/https/x',
      'https://relay.example/https/other.example/v1',
    ])
      expect(upstreamOfGateway(url), url).toBeNull();
  });

  it('what the gateway form names: scheme, host and port, path, query and fragment', () => {
    expect(upstreamOfGateway('http://127.0.0.1:8899/https/openrouter.ai/api/v1')).toBe('https://openrouter.ai/api/v1');
    expect(upstreamOfGateway('http://[::1]:8899/HTTP/127.0.0.1:41257/keyed/v1?x=1')).toBe(
      'http://127.0.0.1:41257/keyed/v1?x=1',
    );
    // Beyond loopback the token's form says it is wirelog's.
    expect(upstreamOfGateway('http://192.168.1.5:8899/t/TOKEN/https/x666.me/v1')).toBe('https://x666.me/v1');
    expect(upstreamOfGateway('http://127.0.0.1:8899/https/x666.me/v1/chat/completions#')).toBe(
      'https://x666.me/v1/chat/completions#',
    );
  });
});

describe("Cherry Studio's address", () => {
  it('keeps its trailing # (the address used exactly as typed) in the gateway form', () => {
    expect(gatewayUrl('https://x666.me/v1/chat/completions#', GATEWAY)).toBe(
      `${GATEWAY}/https/x666.me/v1/chat/completions#`,
    );
    expect(gatewayUrl('https://x666.me/v1', GATEWAY)).toBe(`${GATEWAY}/https/x666.me/v1`);
  });
});

describe('an address given as a base URL', () => {
  it('an endpoint at its end, or a version twice: the base URL it probably meant', () => {
    expect(baseUrlMistake('https://x666.me/v1/chat/completions')).toEqual({
      kind: 'endpoint',
      segment: '/chat/completions',
      fixed: 'https://x666.me/v1',
    });
    expect(baseUrlMistake('https://x666.me/v1/responses/')).toMatchObject({
      kind: 'endpoint',
      fixed: 'https://x666.me/v1',
    });
    // Claude Code and the Anthropic SDK append /v1/messages to a base URL that ends before /v1.
    expect(baseUrlMistake('https://zenmux.ai/api/anthropic/v1/messages')).toMatchObject({
      segment: '/v1/messages',
      fixed: 'https://zenmux.ai/api/anthropic',
    });
    expect(baseUrlMistake('https://x666.me/v1/v1')).toEqual({
      kind: 'repeated',
      segment: '/v1',
      fixed: 'https://x666.me/v1',
    });
    expect(baseUrlMistake('https://x666.me/v1/v1/chat/completions')).toMatchObject({
      kind: 'repeated',
      fixed: 'https://x666.me/v1',
    });
  });

  it('a base URL, or an address ending in # (Cherry Studio uses it as typed): nothing to say', () => {
    for (const url of [
      'https://x666.me/v1',
      'https://openrouter.ai/api/v1',
      'https://zenmux.ai/api/anthropic',
      'https://x666.me/v1/chat/completions#',
      'https://generativelanguage.googleapis.com/v1beta',
      'not a url',
    ])
      expect(baseUrlMistake(url), url).toBeNull();
  });
});

describe('wirelog run without --', () => {
  it("starts the command at its name: the agent's own flags are the agent's", () => {
    expect(commandStart(['claude', '-p', 'hi'])).toEqual({ flags: [], command: ['claude', '-p', 'hi'] });
    expect(commandStart(['--data-dir', '/tmp/d', '--mode', 'proxy', 'codex', 'exec', '--json', 'hi'])).toEqual({
      flags: ['--data-dir', '/tmp/d', '--mode', 'proxy'],
      command: ['codex', 'exec', '--json', 'hi'],
    });
    expect(commandStart(['--explain', '--proxy-port=0', 'gemini', '-p', 'x'])).toEqual({
      flags: ['--explain', '--proxy-port=0'],
      command: ['gemini', '-p', 'x'],
    });
    expect(commandStart(['--keep-secrets', '--', 'node', '-e', '1'])).toEqual({
      flags: ['--keep-secrets'],
      command: ['node', '-e', '1'],
    });
    expect(commandStart(['--explain'])).toEqual({ flags: ['--explain'], command: [] });
  });
});

describe('a typo', () => {
  const COMMANDS = ['start', 'run', 'env', 'url', 'ca', 'list', 'export', 'doctor', 'replay', 'import', 'codex-config'];
  it('gets the name it most likely meant, or none', () => {
    expect(closestName('strat', COMMANDS)).toBe('start');
    expect(closestName('lsit', COMMANDS)).toBe('list');
    expect(closestName('docter', COMMANDS)).toBe('doctor');
    expect(closestName('exprot', COMMANDS)).toBe('export');
    expect(closestName('--limt', ['--limit', '--json', '--search', '--data-dir'])).toBe('--limit');
    expect(closestName('--datadir', ['--limit', '--json', '--search', '--data-dir'])).toBe('--data-dir');
    expect(closestName('xyz', COMMANDS)).toBeNull();
    expect(closestName('--prot', ['--proxy-port', '--ui-port'])).toBeNull();
  });
});

describe("an MCP tool's argument errors", () => {
  const schema = z
    .object({
      host: z.string().min(1).optional(),
      id: z.number().int().positive(),
      limit: z.number().int().min(1).max(200).default(20),
    })
    .strict();
  const problems = (args: unknown) => {
    const parsed = schema.safeParse(args);
    if (parsed.success) throw new Error('expected a refusal');
    return argumentProblems(parsed.error, Object.keys(schema.shape));
  };

  it("are zod's words in English, with the key it meant", () => {
    takeLanguageFlag(['--lang', 'en']);
    expect(problems({})).toBe('id: Required');
    expect(problems({ id: 'x' })).toBe('id: Expected number, received string');
    expect(problems({ id: 1.5 })).toBe('id: Expected integer, received float');
    expect(problems({ id: 0 })).toBe('id: Number must be greater than 0');
    expect(problems({ id: 1, limit: 500 })).toBe('limit: Number must be less than or equal to 200');
    expect(problems({ id: 1, hots: 'a' })).toBe(
      "arguments: Unrecognized key(s) in object: 'hots' (did you mean 'host'?)",
    );
  });

  it('are Chinese for a Chinese user, the argument names kept', () => {
    takeLanguageFlag(['--lang', 'zh-CN']);
    const said = [
      problems({}),
      problems({ id: 'x' }),
      problems({ id: 1.5 }),
      problems({ id: 0 }),
      problems({ id: 1, limit: 500 }),
      problems({ id: 1, limit: 0 }),
      problems({ id: 1, host: '' }),
      problems({ id: 1, hots: 'a' }),
    ];
    expect(said).toEqual([
      'id: 缺少这个参数',
      'id: 应为数字，收到的是字符串',
      'id: 应为整数，收到的是小数',
      'id: 必须大于 0',
      'limit: 不能大于 200',
      'limit: 不能小于 1',
      'host: 至少要 1 个字符',
      "arguments: 没有这个参数：'hots'（是不是 'host'？）",
    ]);
    takeLanguageFlag(['--lang', 'en']);
  });
});
