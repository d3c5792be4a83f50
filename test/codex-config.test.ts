// `wirelog codex-config` for calls to hosts a shell variable cannot be named after as they are
// (addresses, a leading digit, dashes, punycode) and with captured text that would break out of
// a TOML string: every env_key is exportable, and the block parses as exactly what it shows.
import { execFileSync, spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase } from '../db/schema.ts';
import type { ExchangeEvent, Header } from '../model/exchange.ts';
import { keyVariableName, SHELL_VARIABLE_NAME } from '../model/env-name.ts';
import { runCli } from './support/cli.ts';
import { tempDir } from './support/harness.ts';

/** The events of one Responses call that worked, as the proxy emits them. */
function responsesCall(
  uid: string,
  host: string,
  port: number,
  path: string,
  model: string,
  headers: Header[] = [['Authorization', 'Bearer ****abcd']],
): ExchangeEvent[] {
  const request = Buffer.from(JSON.stringify({ model, input: 'hi' }));
  const response = Buffer.from(
    JSON.stringify({
      id: 'resp_1',
      object: 'response',
      status: 'completed',
      model,
      output: [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hello' }] }],
    }),
  );
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt: Date.now() - 1000,
        clientAddress: '127.0.0.1:50000',
        method: 'POST',
        scheme: 'https',
        host,
        port,
        path,
        httpVersion: '1.1',
        headers: [
          ['Host', `${host.includes(':') ? `[${host}]` : host}:${port}`],
          ['Content-Type', 'application/json'],
          ...headers,
        ],
      },
    },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 20,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['Content-Type', 'application/json']] },
    },
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 25 },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { requestSent: 1, responseHeaders: 20, firstByte: 25, end: 30 },
      requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
      responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
    },
  ];
}

// host as the proxy records it (an IPv6 address without brackets), and the env_key it must give.
const HOSTS: [string, string][] = [
  ['127.0.0.1', 'WIRELOG_127_0_0_1_API_KEY'],
  ['::1', 'WIRELOG_IPV6_1_API_KEY'],
  ['localhost', 'LOCALHOST_API_KEY'],
  ['1password.example', 'WIRELOG_1PASSWORD_API_KEY'],
  ['xn--80ak6aa92e.com', 'XN_80AK6AA92E_API_KEY'],
  ['my-relay.example.com', 'MY_RELAY_API_KEY'],
  ['api.openrouter.ai', 'OPENROUTER_API_KEY'],
];

// Captured text that would end its TOML string, add keys, or end a comment line.
const HOSTILE_MODEL = 'gpt"\nmodel_provider = "attacker"\n[x]\\" \u0007\u007f';
const HOSTILE_PATH = '/v1/a"b\\c\n[model_providers.evil]\nbase_url = "https://evil.example"/responses';

let dataDir: string;
const ids = new Map<string, number>();

beforeAll(() => {
  dataDir = tempDir('wirelog-codex-');
  const db = openDatabase(dataDir);
  const store = new CaptureStore(db);
  HOSTS.forEach(([host], i) =>
    store.apply(responsesCall(`host-${i}`, host, 40000 + i, '/v1/responses', 'gpt-5-codex')),
  );
  store.apply(responsesCall('hostile-model', 'relay.example', 443, '/v1/responses', HOSTILE_MODEL));
  store.apply(responsesCall('hostile-path', 'relay.example', 443, HOSTILE_PATH, 'm'));
  // A Chat Completions call: its base_url is repeated in a note, printed as a comment line.
  store.apply(
    responsesCall(
      'hostile-chat',
      'relay.example',
      443,
      `${HOSTILE_PATH.slice(0, -'/responses'.length)}/chat/completions`,
      'm',
    ),
  );
  store.apply(responsesCall('x-api-key', 'relay.example', 443, '/v1/responses', 'm', [['x-api-key', '****wxyz']]));
  const reader = new ExchangeReader(db);
  for (const e of reader.list()) ids.set(e.uid, e.id);
  db.close();
});

async function codexConfigOf(uid: string): Promise<string> {
  const result = await runCli(['codex-config', String(ids.get(uid)), '--data-dir', dataDir]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout;
}

/** Python's tomllib (3.11+), a strict TOML 1.0 parser; null when this machine has none. */
const tomlParser = (() => {
  const probe = spawnSync('python3', ['-c', 'import tomllib'], { encoding: 'utf8' });
  return probe.status === 0;
})();

function parseToml(text: string): Record<string, unknown> {
  return JSON.parse(
    execFileSync('python3', ['-c', 'import json, sys, tomllib; print(json.dumps(tomllib.loads(sys.stdin.read())))'], {
      input: text,
      encoding: 'utf8',
    }),
  );
}

// Every line a block may have: a comment, a table of model_providers, or `key = value` with a
// basic string (only TOML's escapes inside) or the inline http_headers table.
const TOML_STRING = String.raw`"(?:[^"\\\u0000-\u001f\u007f]|\\["\\btnfr]|\\u[0-9a-fA-F]{4})*"`;
const BLOCK_LINE = new RegExp(
  String.raw`^(?:|# [^\u0000-\u001f\u007f]*|\[model_providers\.[A-Za-z0-9_-]+\]|[a-z_]+ = ${TOML_STRING}|http_headers = \{ ${TOML_STRING} = ${TOML_STRING} \})$`,
);

function expectStrictLines(stdout: string): void {
  for (const line of stdout.replace(/\n$/, '').split('\n')) expect(line).toMatch(BLOCK_LINE);
}

describe('wirelog codex-config: an env_key every shell can export', () => {
  for (const [host, expected] of HOSTS) {
    it(`a call to ${host}`, async () => {
      const stdout = await codexConfigOf(`host-${HOSTS.findIndex(([h]) => h === host)}`);
      const envKey = /^env_key = "([^"]*)"$/m.exec(stdout)?.[1];
      expect(envKey).toBe(expected);
      expect(envKey).toMatch(SHELL_VARIABLE_NAME);
      expect(stdout).toContain(`# export ${expected}=<the key ending in abcd> before starting Codex.`);
      // As the user will: a POSIX shell and bash accept the export.
      for (const shell of ['sh', 'bash']) {
        const exported = spawnSync(shell, ['-c', `export ${envKey}=x && printenv ${envKey}`], { encoding: 'utf8' });
        expect(exported.status, `${shell}: ${exported.stderr}`).toBe(0);
        expect(exported.stdout).toBe('x\n');
      }
      expectStrictLines(stdout);
      expect(stdout).toMatch(/^\[model_providers\.[a-z0-9_-]+\]$/m);
      const origin = new URL(/^base_url = "([^"]*)"$/m.exec(stdout)![1]);
      expect([origin.hostname, origin.port]).toEqual([
        host.includes(':') ? `[${host}]` : host,
        String(40000 + HOSTS.findIndex(([h]) => h === host)),
      ]);
    });
  }

  it('the same names for a Unicode host and its punycode, and no name a shell refuses for any host', () => {
    expect(keyVariableName('пример.com')).toBe(keyVariableName('xn--e1afmkfd.com'));
    for (const host of [
      '',
      '.',
      '-',
      '_x',
      '0',
      '[::1]',
      'fe80::1%eth0',
      '10.0.0.1',
      'ünï-cödé.example',
      'a..b',
      '123.example',
      '   ',
      'x'.repeat(300),
    ]) {
      expect(keyVariableName(host)).toMatch(SHELL_VARIABLE_NAME);
    }
  });

  it('one name for an address however it is written: brackets, a zone id as a URL spells it, IPv4 shorthand', () => {
    expect(keyVariableName('[::1]')).toBe(keyVariableName('::1'));
    expect(keyVariableName('[fe80::1%25eth0]')).toBe(keyVariableName('fe80::1%eth0'));
    expect(keyVariableName('127.1')).toBe('WIRELOG_127_0_0_1_API_KEY');
    expect(keyVariableName('0x7f.0.0.1')).toBe('WIRELOG_127_0_0_1_API_KEY');
  });
});

describe('wirelog codex-config: captured text stays inside its TOML string', () => {
  it.skipIf(!tomlParser)(
    'a model name and a path with quotes, backslashes and line breaks parse back as exactly what was captured (Python tomllib)',
    async () => {
      const model = parseToml(await codexConfigOf('hostile-model'));
      expect(Object.keys(model).sort()).toEqual(['model', 'model_provider', 'model_providers']);
      expect(model.model).toBe(HOSTILE_MODEL);
      expect(model.model_provider).toBe('relay');
      expect(Object.keys(model.model_providers as object)).toEqual(['relay']);

      const pathStdout = await codexConfigOf('hostile-path');
      const parsed = parseToml(pathStdout);
      const providers = parsed.model_providers as Record<string, Record<string, unknown>>;
      expect(Object.keys(providers)).toEqual(['relay']);
      expect(providers.relay.base_url).toBe(`https://relay.example${HOSTILE_PATH.slice(0, -'/responses'.length)}`);
      expect(providers.relay.env_key).toBe('RELAY_API_KEY');
      expect(Object.keys(providers.relay).sort()).toEqual(['base_url', 'env_key', 'name', 'wire_api']);

      const chat = parseToml(await codexConfigOf('hostile-chat'));
      expect(Object.keys(chat).sort()).toEqual(['model', 'model_provider', 'model_providers']);
      expect((chat.model_providers as Record<string, Record<string, unknown>>).relay.base_url).toBe(
        providers.relay.base_url,
      );

      const header = parseToml(await codexConfigOf('x-api-key'));
      expect((header.model_providers as Record<string, Record<string, unknown>>).relay.http_headers).toEqual({
        'x-api-key': 'YOUR_KEY',
      });
    },
  );

  it('every line of every block is a comment, a table or one key with one quoted value (a strict check without a TOML parser)', async () => {
    for (const uid of ['hostile-model', 'hostile-path', 'hostile-chat', 'x-api-key'])
      expectStrictLines(await codexConfigOf(uid));
  });
});
