// Search finds a word that starts a line of a tool's output (issue 28: "search finds text
// anywhere in a body"). A tool's output is often JSON text sent inside a JSON string: Codex's
// Responses `function_call_output.output`, a chat-completions `role: "tool"` message's content,
// an Anthropic `tool_result`'s content. Each newline of the inner text then arrives as `\\n`
// and one reading of JSON's escapes indexed `\nexport` as the token `nexport`: in a Codex
// session a search for `export` missed the turns that sent it only at a line's start.
// db/search-text.ts reads the escapes of JSON inside a string again, as deep as it nests.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureStore } from '../db/capture-store.ts';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { indexedText } from '../db/search-text.ts';
import { understandEnded } from '../llm/stored-calls.ts';
import type { ExchangeEvent } from '../model/exchange.ts';
import { codexSession } from './support/codex-session.ts';
import { storeCodexSession } from './support/codex-session-store.ts';
import { tempDir } from './support/harness.ts';

/** Tokens as FTS5's unicode61 cuts an indexed text (anything but letters and digits separates them), case folded. */
function tokens(text: string): string[] {
  return indexedText(text)
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** JSON as Python's json.dumps writes it (ensure_ascii): every character past ASCII as \uXXXX. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A shell's output as a tool sends it back: JSON (output and metadata), then sent as a string. */
function shellResult(output: string): string {
  return JSON.stringify({ output, metadata: { exit_code: 0, duration_seconds: 0.1 } });
}

// Each dialect's request, as its documentation shapes it, with a tool output whose lines start with words.
const responses = {
  model: 'gpt-5-codex',
  input: [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Read main.ts' }] },
    { type: 'function_call', name: 'shell', arguments: '{"command":["cat","main.ts"]}', call_id: 'call_1' },
    {
      type: 'function_call_output',
      call_id: 'call_1',
      output: shellResult('// entry\nexport function mainresponses() {\n\treturn quoted("tabbedresponses");\n}\n'),
    },
  ],
  stream: true,
};
const chat = {
  model: 'gpt-4o',
  messages: [
    { role: 'user', content: 'List the files' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'ls', arguments: '{"dir":"."}' } }],
    },
    // Python's json.dumps (ensure_ascii) inside the message: 令牌 arrives as \\u4ee4\\u724c.
    { role: 'tool', tool_call_id: 'call_2', content: asciiJson({ files: 'a.ts\nimportchat.ts\n令牌渠道.md' }) },
  ],
};
const anthropic = {
  model: 'claude-sonnet-4-5',
  max_tokens: 1024,
  messages: [
    { role: 'user', content: 'Run the tests' },
    {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'bash', input: { command: 'npm test' } }],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'toolu_1', content: shellResult('ok 1\nanthropicstring passed') },
        {
          type: 'tool_result',
          tool_use_id: 'toolu_1',
          content: [{ type: 'text', text: shellResult('ok 2\nanthropicblock "said" passed') }],
        },
      ],
    },
  ],
};
// Three levels: a tool's output holding a JSON document that holds another.
const deep = {
  model: 'gpt-4o',
  messages: [
    {
      role: 'tool',
      tool_call_id: 'call_3',
      content: JSON.stringify({ result: JSON.stringify({ log: 'first\ndeepestword\tafter' }) }),
    },
  ],
};

describe('a word at the start of a line of a tool output sent as JSON in a JSON string', () => {
  it('is indexed as the word, not glued to the escape before it, in each dialect', () => {
    const r = tokens(JSON.stringify(responses));
    expect(r).toContain('export');
    expect(r).toContain('mainresponses');
    expect(r).toContain('tabbedresponses');
    expect(r).toContain('return');
    expect(r).not.toContain('nexport');
    expect(r).not.toContain('treturn');

    const c = tokens(JSON.stringify(chat));
    expect(c).toContain('importchat');
    expect(c).toContain('令牌');
    expect(c).not.toContain('nimportchat');
    expect(c).not.toContain('u4ee4');

    const a = tokens(JSON.stringify(anthropic));
    expect(a).toContain('anthropicstring');
    expect(a).toContain('anthropicblock');
    expect(a).toContain('said');
    expect(a).not.toContain('nanthropicstring');

    const d = tokens(JSON.stringify(deep));
    expect(d).toContain('deepestword');
    expect(d).toContain('after');
    expect(d).not.toContain('ndeepestword');
  });

  it('leaves a string that does not hold JSON as one reading has it: its backslashes are backslashes', () => {
    // C:\new\temp in a JSON string is written C:\\new\\temp: its words are new and temp.
    const path = JSON.stringify({ cwd: 'C:\\new\\temp', note: 'a \\n in a regex' });
    expect(tokens(path)).toEqual(['cwd', 'c', 'new', 'temp', 'note', 'a', 'n', 'in', 'a', 'regex']);
  });

  it('indexes a text without an escaped backslash exactly as one reading did (its entry does not grow)', () => {
    const oneReading = (text: string) =>
      text.replace(
        /\\(?:u([0-9a-fA-F]{4})|[nrtbf]|(["\\/]))/g,
        (_m, hex: string | undefined, lit: string | undefined) =>
          hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (lit ?? ' '),
      );
    for (const body of [
      JSON.stringify({ messages: [{ role: 'user', content: 'line one\nline two\t"quoted" 令牌' }] }),
      asciiJson({ messages: [{ role: 'user', content: '检查令牌和渠道\nnext' }] }),
      JSON.stringify({ output: JSON.stringify({ a: 'b' }) }),
    ]) {
      expect(body.includes('\\\\')).toBe(false);
      // Read once, these texts hold no backslash: reading them again changes nothing, so this is the one-pass entry.
      expect(oneReading(body).includes('\\')).toBe(false);
      expect(indexedText(body)).toBe(indexedText(oneReading(body)));
    }
  });
});

/** One captured exchange: a POST of `body` to `path` answered 200 with a small JSON body. */
function posted(uid: string, k: number, path: string, body: string): ExchangeEvent[] {
  const request = Buffer.from(body);
  const response = Buffer.from('{"ok":true}');
  const info = (size: number) => ({ size, storedSize: size, truncated: false, encoding: '' });
  return [
    {
      type: 'request',
      uid,
      head: {
        startedAt: 1764000000000 + k * 1000,
        clientAddress: '127.0.0.1:1',
        method: 'POST',
        scheme: 'https',
        host: 'relay.example',
        port: 443,
        path,
        httpVersion: '1.1',
        headers: [['content-type', 'application/json']],
      },
    },
    { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
    {
      type: 'response-head',
      uid,
      atMs: 2,
      head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['content-type', 'application/json']] },
    },
    { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: 3 },
    {
      type: 'end',
      uid,
      state: 'complete',
      error: null,
      timings: { firstByte: 2, end: 4 },
      requestBody: info(request.length),
      responseBody: info(response.length),
    },
  ];
}

describe('searched in a store (split bodies: each tool output a part, db/part-search.ts)', () => {
  let dir: string;
  let db: Db;
  let reader: ExchangeReader;
  const ids: Record<string, number> = {};

  beforeAll(() => {
    dir = tempDir('wirelog-nested-json-');
    db = openDatabase(dir);
    const store = new CaptureStore(db, understandEnded);
    const sent: [string, string, unknown][] = [
      ['responses', '/v1/responses', responses],
      ['chat', '/v1/chat/completions', chat],
      ['anthropic', '/v1/messages', anthropic],
      ['deep', '/v1/chat/completions', deep],
    ];
    sent.forEach(([name, path, body], k) => store.apply(posted(name, k, path, JSON.stringify(body))));
    store.indexWaiting('all');
    reader = new ExchangeReader(db);
    // Stored in the order sent: ids ascending.
    const stored = reader
      .summaries({ limit: 10 })
      .map((r) => r.id)
      .sort((a, b) => a - b);
    expect(stored).toHaveLength(sent.length);
    sent.forEach(([name], k) => {
      ids[name] = stored[k];
    });
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const found = (q: string) =>
    reader
      .summaries({ text: q, limit: 10 })
      .map((r) => r.id)
      .sort((a, b) => a - b);

  it('finds each exchange by a word that starts a line of its tool output, and none by the glued token', () => {
    // The tool outputs are stored as parts (searched through part_search), not whole.
    expect(db.prepare('SELECT count(*) FROM part_refs').pluck().get()).toBeGreaterThan(0);
    expect(found('export')).toEqual([ids.responses]);
    expect(found('tabbedresponses')).toEqual([ids.responses]);
    expect(found('importchat')).toEqual([ids.chat]);
    expect(found('令牌')).toEqual([ids.chat]);
    expect(found('anthropicstring')).toEqual([ids.anthropic]);
    expect(found('anthropicblock')).toEqual([ids.anthropic]);
    expect(found('deepestword')).toEqual([ids.deep]);
    for (const glued of ['nexport', 'nimportchat', 'nanthropicstring', 'ndeepestword'])
      expect(found(glued)).toEqual([]);
  });
});

/** Words of a JSON text as a reader of it sees them: every string read, and read again as JSON when it holds JSON. */
function wordsRead(json: string): Set<string> {
  const words = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      let inner: unknown;
      try {
        inner = /^\s*[[{]/.test(value) ? JSON.parse(value) : undefined;
      } catch {
        inner = undefined;
      }
      if (inner !== undefined) walk(inner);
      else for (const w of value.toLowerCase().split(/[^\p{L}\p{N}]+/u)) if (w) words.add(w);
    } else if (value && typeof value === 'object')
      for (const [k, v] of Object.entries(value)) {
        walk(k);
        walk(v);
      }
    else if (value !== null && value !== undefined) walk(String(value));
  };
  walk(JSON.parse(json));
  return words;
}

describe('a Codex session (test/support/codex-session.ts) searched for words its tool outputs start lines with', () => {
  let dir: string;
  let db: Db;
  const TURNS = 20;

  beforeAll(() => {
    dir = tempDir('wirelog-nested-session-');
    db = openDatabase(dir);
    storeCodexSession(db, TURNS, 'nested-session');
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds each word in exactly the turns whose request, read as JSON, holds it', () => {
    const reader = new ExchangeReader(db);
    const ids = reader.summaries({ thread: 'session:nested-session', after: 0, limit: TURNS }).map((r) => r.id);
    expect(ids).toHaveLength(TURNS);
    const read = [...codexSession(TURNS, 'nested-session')].map((turn) => {
      const words = wordsRead(turn.request.toString('utf8'));
      for (const e of turn.events) for (const w of wordsRead(e.data)) words.add(w);
      return words;
    });
    const found = (q: string) =>
      reader
        .summaries({ text: q, limit: 100 })
        .map((r) => r.id)
        .sort((a, b) => a - b);
    // Words that start lines of the source files the tool outputs hold; the glued forms one reading made.
    for (const word of ['export', 'import', 'const', 'interface', 'return']) {
      const expected = ids.filter((_, k) => read[k].has(word));
      // Sent at a line's start by some turns, and not by the first: not a test of nothing.
      expect(expected.length, word).toBeGreaterThan(0);
      expect(expected.length, word).toBeLessThan(TURNS);
      expect(found(word), word).toEqual(expected);
      expect(found(`n${word}`), `n${word}`).toEqual(ids.filter((_, k) => read[k].has(`n${word}`)));
    }
  });
});
