// Sharing a session (issue 27), from a temporary database: the HTML page and the Markdown
// transcript of a generated session carry the same turns and figures as the session API's page;
// hostile captured text (<script>, </style>, javascript: URLs, event attributes) is only ever
// text in the page; a Markdown fence outlasts any backticks a body holds (checked with
// CommonMark's fence rules); a body past the export's limit is trimmed and says so; a session is
// found by its key or its bare id, an unknown one is refused; HAR entries carry the session.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { writeHar } from '../export/har.ts';
import { EXPORT_BODY_CHARS, resolveSessionKey, SessionExportError, writeSession } from '../export/session-export.ts';
import { escapeHtml, SESSION_HTML_CSP, SessionHtml } from '../export/session-html.ts';
import { codeSpan, fence, SessionMarkdown } from '../export/session-markdown.ts';
import { createI18n } from '../i18n/index.ts';
import type { Language } from '../i18n/languages.ts';
import { sessionPage } from '../llm/session-read.ts';
import { tempDir } from './support/harness.ts';
import { BACKTICKS, HOSTILE, hostileSession } from './support/session-hostile.ts';
import { generatedSession, storeSession, type GeneratedTurn } from './support/session-store.ts';

const AT = Date.UTC(2026, 11, 3);

let dir: string;
let db: Db;
let reader: ExchangeReader;

/** A session whose request body is longer than the export shows. */
function bigSession(): GeneratedTurn[] {
  const turns = generatedSession(1);
  (turns[0].request.input as { content: { text: string }[] }[])[0].content[0].text = 'x'.repeat(EXPORT_BODY_CHARS * 2);
  return turns;
}

beforeAll(() => {
  dir = tempDir();
  db = openDatabase(dir);
  storeSession(db, 'plain', generatedSession(4));
  storeSession(db, 'hostile', hostileSession());
  storeSession(db, 'big', bigSession());
  reader = new ExchangeReader(db);
});

afterAll(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function exported(key: string, format: 'html' | 'markdown', lang: Language = 'en'): Promise<string> {
  const { t } = createI18n(lang);
  const renderer =
    format === 'html' ? new SessionHtml(t, lang, '1.2.3', AT) : new SessionMarkdown(t, lang, '1.2.3', AT);
  let out = '';
  await writeSession(reader, key, renderer, (text) => {
    out += text;
  });
  return out;
}

/** The elements the page itself is made of. */
const PAGE_TAGS = new Set([
  'html',
  'head',
  'meta',
  'title',
  'style',
  'body',
  'header',
  'h1',
  'h2',
  'h3',
  'p',
  'dl',
  'dt',
  'dd',
  'span',
  'main',
  'article',
  'div',
  'code',
  'pre',
  'details',
  'summary',
  'table',
  'tr',
  'td',
  'strong',
]);

const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];

describe('the HTML page of a session', () => {
  it('has the turns and figures of the session API, in order', async () => {
    const html = await exported('session:plain', 'html');
    const page = sessionPage(reader, 'session:plain', 0, 100);
    const articles = [...html.matchAll(/<article [^>]*>/g)].map((m) => m[0]);
    expect(articles).toHaveLength(page.total);
    page.turns.forEach((turn, i) => {
      expect(attr(articles[i], 'data-turn')).toBe(String(turn.index + 1));
      expect(attr(articles[i], 'data-id')).toBe(String(turn.id));
      expect(attr(articles[i], 'data-status')).toBe(String(turn.status));
      expect(attr(articles[i], 'data-input-tokens')).toBe(String(turn.usage.input));
      expect(attr(articles[i], 'data-output-tokens')).toBe(String(turn.usage.output));
      expect(attr(articles[i], 'data-cost-usd')).toBe(String(turn.cost!.usd));
    });
    const header = /<header [^>]*>/.exec(html)![0];
    expect(attr(header, 'data-calls')).toBe('4');
    expect(attr(header, 'data-input-tokens')).toBe(String(page.header.tokens.input));
    expect(attr(header, 'data-cost-usd')).toBe(String(page.header.cost.usd));
    // Each tool call with its arguments and the result the next turn sent; the last turn answers in text.
    expect(html.match(/data-testid="tool-call"/g)).toHaveLength(3);
    expect(html.match(/data-testid="tool-result"/g)).toHaveLength(3);
    expect(html).toContain(escapeHtml(page.turns[1].tools[0].result!));
    expect(html).toContain('All 3 parts read.');
    expect(html.match(/data-testid="raw-exchange"/g)).toHaveLength(4);
  });

  it('loads nothing: a CSP that forbids it, no script, no link, no URL attribute', async () => {
    const html = await exported('session:plain', 'html');
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${escapeHtml(SESSION_HTML_CSP)}">`);
    expect(SESSION_HTML_CSP).toContain("default-src 'none'");
    expect(html).not.toMatch(/<script|<link|<img|<iframe|\bsrc=|\bhref=|@import|url\(/i);
  });

  it('hostile captured text is text: escaped in element content, nothing of it parsed as markup', async () => {
    const html = await exported('session:hostile', 'html');
    // Only the page's own style element; every captured tag appears escaped.
    expect(html.match(/<style>/g)).toHaveLength(1);
    expect(html.match(/<\/style>/g)).toHaveLength(1);
    // Every tag in the page is the page's own, and none has a URL, a style or an event attribute.
    const tags = [...html.matchAll(/<([a-zA-Z][\w-]*)([^>]*)>/g)];
    expect(new Set(tags.map((m) => m[1].toLowerCase()))).toEqual(PAGE_TAGS);
    expect(tags.filter((m) => /\s(on\w+|href|src|style|action|formaction)\s*=/i.test(m[2])).map((m) => m[0])).toEqual(
      [],
    );
    expect(html).toContain(escapeHtml('<script>window.__pwned = 1</script>'));
    expect(html).toContain(escapeHtml('<a href="javascript:window.__pwned=3">click</a>'));
    // The page's own structure: one article per turn, whatever the bodies closed.
    expect(html.match(/<article /g)).toHaveLength(3);
    expect(html.match(/<\/article>/g)).toHaveLength(3);
  });

  it('a body past the limit is trimmed, and says by how much', async () => {
    const html = await exported('session:big', 'html');
    const bodies = [...html.matchAll(/<pre data-testid="raw-body">([^<]*)<\/pre>/g)].map((m) => m[1]);
    expect(Math.max(...bodies.map((b) => b.length))).toBeLessThanOrEqual(EXPORT_BODY_CHARS * 1.1);
    const note = /<p class="note" data-testid="raw-note">([^<]*)<\/p>/.exec(html)![1];
    expect(note).toContain(`the first ${EXPORT_BODY_CHARS.toLocaleString('en-US')} of`);
    expect(note).toContain('wirelog export --har');
  });

  it("speaks the reader's language", async () => {
    const html = await exported('session:plain', 'html', 'zh-CN');
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('第 1 轮');
    expect(html).toContain('4 次调用');
    expect(html).toContain('原始请求 #');
  });
});

/** The fenced blocks of a Markdown text by CommonMark's rules: a closing fence is at least as long as its opening. */
function fencedBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)(`{3,})[^`]*$/.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ *(`{3,}) *$/.exec(lines[j]);
      if (close && close[1].length >= open[2].length) break;
      body.push(lines[j].slice(Math.min(indent, /^ */.exec(lines[j])![0].length)));
    }
    blocks.push(body.join('\n'));
    i = j;
  }
  return blocks;
}

describe('the Markdown transcript of a session', () => {
  it('fences outlast the backticks inside: each captured text comes back whole from its block', async () => {
    const md = await exported('session:hostile', 'markdown');
    const blocks = fencedBlocks(md);
    expect(blocks).toContain(BACKTICKS);
    expect(blocks).toContain(HOSTILE);
    // Nothing captured outside a block or a code span: the hostile markup never stands as Markdown's HTML.
    const outside = md.replace(/^( *)(`{3,})[^]*?^\1\2\s*$/gm, '').replace(/(`+)[^`\n]*?\1/g, '');
    expect(outside).not.toMatch(/<script|<iframe|<img|<a /);
  });

  it('fence and code span by themselves', () => {
    expect(fence('a ``` b\n````')).toMatch(/^`{5}text\na ``` b\n`{4}\n`{5}$/);
    expect(fence('plain')).toBe('```text\nplain\n```');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
    expect(codeSpan('two\nlines')).toBe('`two lines`');
  });

  it('turns, tool calls, answers and usage, as the API has them', async () => {
    const md = await exported('session:plain', 'markdown');
    const page = sessionPage(reader, 'session:plain', 0, 100);
    expect(md.match(/^## Turn \d+/gm)).toEqual(['## Turn 1', '## Turn 2', '## Turn 3', '## Turn 4']);
    for (const turn of page.turns)
      expect(md).toContain(`in ${turn.usage.input!.toLocaleString('en-US')} · out ${turn.usage.output}`);
    expect(md.match(/^- Tool call `shell` `call_gen_\d`$/gm)).toHaveLength(3);
    expect(fencedBlocks(md)).toContain(page.turns[0].tools[0].result);
    expect(md).toContain('- client: `Codex 0.171.0`');
  });
});

describe('which session', () => {
  it('a key as stored, or the bare id of a session header; without one, the most recent', () => {
    expect(resolveSessionKey(reader, 'session:hostile')).toBe('session:hostile');
    expect(resolveSessionKey(reader, 'hostile')).toBe('session:hostile');
    expect(resolveSessionKey(reader, undefined)).toBe('session:big');
  });

  it('an unknown one is refused, naming it', () => {
    expect(() => resolveSessionKey(reader, 'nope')).toThrow(SessionExportError);
    try {
      resolveSessionKey(reader, 'nope');
    } catch (err) {
      expect((err as SessionExportError).params).toEqual({ key: 'nope' });
    }
  });
});

describe('HAR', () => {
  it('each entry carries the session it belongs to', async () => {
    let text = '';
    await writeHar(reader, {}, (t) => (text += t), '1.2.3');
    const entries = (JSON.parse(text) as { log: { entries: { _wirelog: { id: number; session?: string } }[] } }).log
      .entries;
    expect(entries.map((e) => e._wirelog.session)).toEqual([
      ...Array(4).fill('session:plain'),
      ...Array(3).fill('session:hostile'),
      'session:big',
    ]);
  });
});
