// A call wirelog could not deliver (here: nothing listens on the port the client's base URL names)
// is diagnosed wherever diagnoses are read: the viewer's API (the detail and the list's stored
// badge), the MCP server's diagnose tool, and `wirelog doctor` in text (zh-CN) and --json alike.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WIRELOG_BIN, WIRELOG_NODE_FLAGS, startWirelogProcess, type WirelogProcess } from './support/cli.ts';
import { eventually, tempDir } from './support/harness.ts';

let wirelog: WirelogProcess;
let dataDir: string;
let closedPort: number;

/** A port nothing listens on: one the system gave a server of ours, closed again. */
function freedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function wirelogCli(args: string[], lang: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, ...args], {
      env: { ...process.env, WIRELOG_LANG: '', LANG: lang, LC_ALL: '', LC_MESSAGES: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let id = 0;

beforeAll(async () => {
  dataDir = tempDir('wirelog-llmfix-undelivered-');
  closedPort = await freedPort();
  wirelog = await startWirelogProcess(dataDir);
  const res = await fetch(`${wirelog.proxyUrl}/http/127.0.0.1:${closedPort}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }] }),
  });
  expect(res.status).toBe(502);
  await res.arrayBuffer();
  id = await eventually(async () => {
    const list = (await (await fetch(`${wirelog.viewerUrl}/api/exchanges?limit=10`)).json()) as {
      exchanges: { id: number; state: string; diagnosis: { summary: string } | null }[];
    };
    const stored = list.exchanges.find((e) => e.state === 'upstream_error');
    return stored?.diagnosis ? stored.id : 0;
  }, 'the undelivered call stored with its diagnosis');
}, 120_000);

afterAll(async () => {
  await wirelog?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

const where = () => `127.0.0.1:${closedPort}`;

describe('a call wirelog could not deliver', () => {
  it("the viewer's detail and list say what happened and the fix", async () => {
    const detail = (await (await fetch(`${wirelog.viewerUrl}/api/exchanges/${id}`)).json()) as {
      exchange: { response: unknown; error: string };
      diagnoses: { rule: string; severity: string; summary: string; fix: string }[];
    };
    expect(detail.exchange.response).toBeNull();
    expect(detail.diagnoses[0]).toMatchObject({
      rule: 'undelivered',
      severity: 'error',
      summary: `wirelog could not deliver the call: ${where()} refused the connection (nothing listens on that port).`,
    });
    expect(detail.diagnoses[0].fix).toMatch(/Check the port in the client's base URL/);
    const list = (await (await fetch(`${wirelog.viewerUrl}/api/exchanges?limit=10`)).json()) as {
      exchanges: { id: number; diagnosis: { severity: string; summary: string } | null }[];
    };
    expect(list.exchanges.find((e) => e.id === id)?.diagnosis).toMatchObject({
      severity: 'error',
      summary: expect.stringContaining(`${where()} refused the connection`),
    });
  });

  it("the MCP server's diagnose tool says it", async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [...WIRELOG_NODE_FLAGS, WIRELOG_BIN, 'mcp', '--data-dir', dataDir],
      env: { ...(process.env as Record<string, string>), WIRELOG_LANG: 'en' },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'llmfix-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const answer = (await client.callTool({ name: 'diagnose', arguments: { id } })) as {
        isError?: boolean;
        content: { text: string }[];
      };
      expect(answer.isError ?? false, answer.content[0]?.text).toBe(false);
      expect(answer.content[0].text).toContain(`${where()} refused the connection`);
      expect(answer.content[0].text).toContain("Check the port in the client's base URL");
    } finally {
      await client.close();
    }
  });

  it('wirelog doctor says it once, in Chinese under zh_CN, with the same finding in --json', async () => {
    const zh = await wirelogCli(['doctor', String(id), '--data-dir', dataDir], 'zh_CN.UTF-8');
    expect(zh.code).toBe(1);
    expect(zh.stdout).toContain(
      `[错误] wirelog 没能把这次调用送到服务商：${where()} 拒绝了连接（那个端口上没有程序在监听）。`,
    );
    expect(zh.stdout).toContain('修复：检查客户端 base URL 里的端口');
    expect(zh.stdout.split(where()).length - 1, zh.stdout).toBe(2);
    const json = await wirelogCli(['doctor', String(id), '--json', '--data-dir', dataDir], 'C');
    expect(json.code).toBe(1);
    const groups = JSON.parse(json.stdout) as { ids: number[]; diagnoses: { rule: string }[] }[];
    expect(groups.map((g) => [g.ids, g.diagnoses.map((d) => d.rule)])).toEqual([[[id], ['undelivered']]]);
  });
});
