// A newcomer's first hour with the real CLI (a fresh HOME, a fake relay on 127.0.0.1): the
// README's first way (Codex's base_url set to the gateway) followed by its second (`wirelog run
// -- codex exec`) reaches the relay instead of a 508 loop; `wirelog url` on an address already in
// the gateway form, and on Cherry Studio's `#` address; `wirelog codex exec ...` and other typos
// get the command they meant, in Chinese under zh_CN; `wirelog run node -e ...` without `--`
// runs the command and passes its exit code; `wirelog list` says a stored refusal in the
// user's language; the MCP server's argument errors are Chinese for a Chinese user.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  WIRELOG_BIN,
  WIRELOG_NODE_FLAGS,
  runCli,
  startWirelogProcess,
  type CliResult,
  type WirelogProcess,
} from './support/cli.ts';
import { startFakeUpstream, type FakeUpstream } from './support/fake-upstream.ts';
import { eventually, tempDir } from './support/harness.ts';

const BIN = path.resolve('node_modules/.bin');
const ZH = { WIRELOG_LANG: '', LANG: 'zh_CN.UTF-8', LC_ALL: '', LC_MESSAGES: '' };
const EN = { WIRELOG_LANG: '', LANG: 'C', LC_ALL: '', LC_MESSAGES: '' };

let upstream: FakeUpstream;
let wirelog: WirelogProcess;
let dataDir: string;
let home: string;
const made: string[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream();
  dataDir = tempDir('wirelog-firsthour-');
  home = tempDir('wirelog-firsthour-home-');
  made.push(dataDir, home);
  wirelog = await startWirelogProcess(dataDir);
}, 120_000);

afterAll(async () => {
  await wirelog?.stop();
  await upstream?.close();
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** `wirelog ARGS` in a fresh HOME, standard input closed, in the language given. */
function wirelogAs(args: string[], env: NodeJS.ProcessEnv, cwd = home): Promise<CliResult> {
  return runCli(args, { cwd, env: { HOME: home, PATH: `${BIN}${path.delimiter}${process.env.PATH}`, ...env } });
}

describe("the README's gateway base_url, then wirelog run", () => {
  it('Codex reaches the relay through the gateway once: its answer, no 508 loop stored (real Codex 0.171)', async () => {
    const codexHome = path.join(home, '.codex');
    fs.mkdirSync(codexHome, { recursive: true });
    // README way 1: base_url through the running wirelog's gateway.
    const gatewayBaseUrl = `${wirelog.proxyUrl}/http/127.0.0.1:${upstream.httpPort}/v1`;
    fs.writeFileSync(
      path.join(codexHome, 'config.toml'),
      [
        'model = "gpt-5"',
        'model_provider = "x666"',
        '[model_providers.x666]',
        'name = "x666 公益站"',
        `base_url = "${gatewayBaseUrl}"`,
        'env_key = "X666_API_KEY"',
        'wire_api = "responses"',
        '[analytics]',
        'enabled = false',
        '',
      ].join('\n'),
    );
    const before = upstream.received.length;
    // README way 2 on top of it.
    const r = await wirelogAs(['run', '--data-dir', dataDir, '--', 'codex', 'exec', '--skip-git-repo-check', 'hello'], {
      ...EN,
      X666_API_KEY: 'sk-relay-000011112222',
    });
    expect(r.stderr).not.toMatch(/508|Loop Detected/);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Hello from the fake upstream');
    expect(upstream.received.slice(before).some((q) => q.method === 'POST' && q.url === '/v1/responses')).toBe(true);
    const rows = await eventually(async () => {
      const res = await fetch(`${wirelog.viewerUrl}/api/exchanges?limit=50`);
      const { exchanges } = (await res.json()) as { exchanges: { status: number | null; url: string }[] };
      const calls = exchanges.filter((x) => x.url.endsWith('/v1/responses'));
      return calls.some((x) => x.status === 200) && calls;
    }, 'the call stored');
    expect(rows.filter((x) => x.status !== 200)).toEqual([]);
    expect(fs.readFileSync(path.join(codexHome, 'config.toml'), 'utf8')).toContain(gatewayBaseUrl);
  }, 240_000);
});

describe("the seed's base_url ending in /chat/completions, under wirelog run", () => {
  it('wirelog run says before Codex starts that the relay will answer 404, and the base_url meant, in Chinese', async () => {
    const other = tempDir('wirelog-firsthour-home-');
    made.push(other);
    fs.mkdirSync(path.join(other, '.codex'));
    fs.writeFileSync(
      path.join(other, '.codex', 'config.toml'),
      'model_provider = "x666"\n[model_providers.x666]\nname = "x666"\nbase_url = "https://x666.me/v1/chat/completions"\nenv_key = "X666_API_KEY"\n',
    );
    const r = await wirelogAs(['run', '--explain', '--data-dir', dataDir, '--', 'codex', 'exec', 'hi'], {
      ...ZH,
      HOME: other,
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'wirelog: Codex 的 base URL https://x666.me/v1/chat/completions 以 /chat/completions 结尾，这是接口路径：Codex 还会在后面拼自己的接口路径，中转站会回 404；把 base URL 改成 https://x666.me/v1',
    );
  });
});

describe('wirelog url', () => {
  it('an address already in the gateway form: the gateway form of its relay, and why, in Chinese', async () => {
    const r = await wirelogAs(
      ['url', 'http://127.0.0.1:8899/https/x666.me/v1', '--data-dir', path.join(home, 'none')],
      ZH,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('http://127.0.0.1:8899/https/x666.me/v1');
    expect(r.stderr).toContain('已经是网关地址（对应 https://x666.me/v1）');
  });

  it("an endpoint given as the base URL: the line as asked, then the base URL meant and Cherry Studio's # form, in Chinese", async () => {
    const r = await wirelogAs(
      ['url', 'https://x666.me/v1/chat/completions', '--data-dir', path.join(home, 'none')],
      ZH,
    );
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('http://127.0.0.1:8899/https/x666.me/v1/chat/completions');
    expect(r.stderr).toContain(
      'base URL 请填 http://127.0.0.1:8899/https/x666.me/v1（https://x666.me/v1 的网关形式）；Cherry Studio 要填完整地址的话，以 # 结尾：http://127.0.0.1:8899/https/x666.me/v1/chat/completions#',
    );
  });

  it('a --proxy-port that is not a port: one line, for url and env alike', async () => {
    for (const command of ['url', 'env']) {
      const r = await wirelogAs(
        [
          command,
          ...(command === 'url' ? ['https://x666.me/v1'] : []),
          '--proxy-port',
          'abc',
          '--data-dir',
          path.join(home, 'none'),
        ],
        ZH,
      );
      expect(r.code, command).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toBe('wirelog: --proxy-port 要填 0 到 65535 之间的端口号，"abc" 不行');
    }
  });

  it("Cherry Studio's address keeps its # (used exactly as typed)", async () => {
    const r = await wirelogAs(
      ['url', 'https://x666.me/v1/chat/completions#', '--data-dir', path.join(home, 'none')],
      EN,
    );
    expect(r.stdout.trim()).toBe('http://127.0.0.1:8899/https/x666.me/v1/chat/completions#');
  });
});

describe('what the newcomer types wrong', () => {
  it('an agent given as the command: how to capture it, quoted for the shell, in Chinese', async () => {
    const r = await wirelogAs(['codex', 'exec', "it's ok"], ZH);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `wirelog: "codex" 不是 wirelog 的命令：要抓 codex 发出的请求，用 \`wirelog run -- codex exec 'it'\\''s ok'\` 启动它`,
    );
  });

  it('a misspelt command or flag: the one meant, in each language', async () => {
    expect((await wirelogAs(['strat'], ZH)).stderr).toContain('是不是想用 `wirelog start`？');
    expect((await wirelogAs(['lsit'], EN)).stderr).toContain('did you mean `wirelog list`?');
    const flag = await wirelogAs(['list', '--limt', '3', '--data-dir', dataDir], ZH);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("不认识的参数 '--limt'：是不是想用 --limit？");
    expect((await wirelogAs(['doctor', '--lst', '5'], EN)).stderr).toContain('did you mean --last?');
  });

  it("wirelog run without --: the command's own flags are its own, its exit code passed through", async () => {
    const r = await wirelogAs(
      ['run', '--data-dir', dataDir, 'node', '-e', 'process.exit(Number(process.argv[1]))', '5'],
      EN,
    );
    expect(r.stderr).not.toContain('Unknown option');
    expect(r.code).toBe(5);
  });
});

describe("the shell's own proxy (Clash, common in mainland China)", () => {
  it('wirelog run says that wirelog reaches providers directly, not through it; not for wirelog itself', async () => {
    const clash = await wirelogAs(['run', '--data-dir', dataDir, '--', 'node', '-e', '0'], {
      ...ZH,
      https_proxy: 'http://127.0.0.1:7890',
    });
    expect(clash.code).toBe(0);
    expect(clash.stderr).toContain(
      'wirelog: 这个 shell 设置了 https_proxy=http://127.0.0.1:7890，但这个命令的请求经过 wirelog，而 wirelog 直接连接服务商，不走这个代理',
    );
    const own = await wirelogAs(['run', '--data-dir', dataDir, '--', 'node', '-e', '0'], {
      ...EN,
      HTTPS_PROXY: wirelog.proxyUrl,
    });
    expect(own.stderr).not.toContain('is set in this shell');
  });

  it('wirelog start says it too, the credentials in the proxy URL masked', async () => {
    const other = tempDir('wirelog-firsthour-proxy-');
    made.push(other);
    const started = await startWirelogProcess(other, [], {
      env: { HOME: home, ...EN, all_proxy: 'socks5://me:hunter2secret@127.0.0.1:7891' },
    });
    try {
      const said = await eventually(
        () => started.output().includes('is set in this shell') && started.output(),
        'the proxy line',
      );
      expect(said).toContain(
        'wirelog: all_proxy=socks5://me:****@127.0.0.1:7891 is set in this shell, but wirelog connects to providers directly, not through that proxy',
      );
      expect(said).not.toContain('hunter2secret');
    } finally {
      await started.stop();
    }
  }, 60_000);
});

describe('wirelog import', () => {
  it('a path with no file, or a folder: one line with the path and what a HAR file is, nothing created', async () => {
    const fresh = path.join(home, 'fresh-data');
    const missing = path.join(home, 'Downloads', 'chatgpt.com.har');
    const none = await wirelogAs(['import', missing, '--data-dir', fresh], ZH);
    expect(none.code).toBe(2);
    expect(none.stderr.trim()).toBe(
      `wirelog: 找不到文件 ${missing}：检查一下路径（HAR 文件是浏览器开发者工具「网络」面板里「以 HAR 格式保存全部内容」存下的文件，或者 \`wirelog export --har\` 写出的文件）`,
    );
    const folder = await wirelogAs(['import', home, '--data-dir', fresh], EN);
    expect(folder.code).toBe(2);
    expect(folder.stderr.trim()).toBe(
      `wirelog: ${home} is a folder: give the HAR file in it (wirelog import FOLDER/capture.har)`,
    );
    expect(fs.existsSync(fresh)).toBe(false);
  });
});

describe('wirelog list', () => {
  it('says a stored refusal (a loop through the gateway) in Chinese', async () => {
    const port = Number(new URL(wirelog.proxyUrl).port);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${wirelog.proxyUrl}/http/127.0.0.1:${port}/v1/models`, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    });
    expect(status).toBe(508);
    const listed = await eventually(async () => {
      const r = await wirelogAs(['list', '--data-dir', dataDir], ZH);
      return r.stdout.includes(' 508 ') && r.stdout;
    }, 'the refusal listed');
    const line = listed.split('\n').find((l) => l.includes(' 508 '))!;
    expect(line).toContain('这个请求指向 wirelog 自己');
    expect(line).not.toContain('points at wirelog itself');
  });
});

describe('wirelog doctor', () => {
  it('a call wirelog could not deliver, or refused as a loop, is said with the fix, never "no problems"', async () => {
    const refused = await fetch(`${wirelog.proxyUrl}/http/127.0.0.1:1/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"model":"gpt-4o-mini","messages":[]}',
    });
    expect(refused.status).toBe(502);
    await refused.arrayBuffer();
    const ids = await eventually(async () => {
      const res = await fetch(`${wirelog.viewerUrl}/api/exchanges?limit=50`);
      const { exchanges } = (await res.json()) as {
        exchanges: { id: number; url: string; status: number | null; state: string }[];
      };
      const undelivered = exchanges.find(
        (x) => x.url.startsWith('http://127.0.0.1:1/') && x.state === 'upstream_error',
      );
      const loop = exchanges.find((x) => x.status === 508);
      return undelivered && loop && { undelivered: undelivered.id, loop: loop.id };
    }, 'both stored');
    const one = await wirelogAs(['doctor', String(ids.undelivered), '--data-dir', dataDir], ZH);
    expect(one.code).toBe(1);
    // Said by the diagnosis rule undelivered now (llm/diagnose.ts), as the viewer and MCP say it.
    expect(one.stdout).toContain('[错误] wirelog 没能把这次调用送到服务商：127.0.0.1:1 拒绝了连接');
    expect(one.stdout).toContain('修复：检查客户端 base URL 里的端口');
    expect(one.stdout).not.toContain('没有发现问题');
    const loop = await wirelogAs(['doctor', String(ids.loop), '--data-dir', dataDir], EN);
    expect(loop.code).toBe(1);
    expect(loop.stdout).toContain('[error] wirelog refused it: this request points at wirelog itself');
    expect(loop.stdout).toContain('fix: the call came to wirelog through wirelog');
  });
});

describe('wirelog mcp --print-config with wirelog on the PATH (npm link)', () => {
  it("Cherry Studio, a desktop app that does not see the shell's PATH, gets node and the script by absolute paths; Codex gets `wirelog`", async () => {
    const bin = path.join(home, 'linked-bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'wirelog'), '#!/bin/sh\n', { mode: 0o755 });
    const env = { ...EN, PATH: `${bin}${path.delimiter}${process.env.PATH}` };
    const cherry = await wirelogAs(['mcp', '--print-config', 'cherry-studio', '--data-dir', dataDir], env);
    const server = (JSON.parse(cherry.stdout) as { mcpServers: { wirelog: { command: string; args: string[] } } })
      .mcpServers.wirelog;
    expect(server.command).toBe(process.execPath);
    expect(server.args).toEqual([WIRELOG_BIN, 'mcp', '--data-dir', dataDir]);
    const codex = await wirelogAs(['mcp', '--print-config', 'codex', '--data-dir', dataDir], env);
    expect(codex.stdout).toContain('command = "wirelog"');
  });
});

describe('wirelog mcp under zh_CN', () => {
  it("a tool's wrong arguments are said in Chinese, the argument it meant named", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, 'mcp', '--data-dir', dataDir],
      env: { ...(process.env as Record<string, string>), HOME: home, ...ZH },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'wirelog-firsthour', version: '1.0.0' });
    await client.connect(transport);
    try {
      const said = async (name: string, args: Record<string, unknown>) => {
        const answer = (await client.callTool({ name, arguments: args })) as {
          isError?: boolean;
          content: { text: string }[];
        };
        expect(answer.isError).toBe(true);
        return answer.content[0].text;
      };
      expect(await said('list_calls', { limit: 'x' })).toBe(
        'list_calls 的参数不对：limit: 应为数字，收到的是字符串（可用参数见该工具的 input schema）',
      );
      expect(await said('list_calls', { hots: 'x666.me' })).toContain("没有这个参数：'hots'（是不是 'host'？）");
      expect(await said('read_call', {})).toBe(
        'read_call 的参数不对：id: 缺少这个参数（可用参数见该工具的 input schema）',
      );
      expect(await said('diagnose', { last: 0 })).toContain('last: 不能小于 1');
    } finally {
      await client.close();
    }
  }, 60_000);
});
