// A turn whose request was stored cut at --max-body-mb: its JSON does not parse, so its context
// read as a request with no message at all, and its diff with the turn before called every
// earlier message dropped (compaction) where nothing was. The context and the diff now refuse it,
// naming the sizes and the fix, in English and Chinese; the turn row says so instead of showing
// no input; a diff that looks back for a turn of the same conversation passes over a cut one.
import fs from 'node:fs';
import i18next from 'i18next';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeReader } from '../db/reader.ts';
import { openDatabase, type Db } from '../db/schema.ts';
import { createI18n, RESOURCES } from '../i18n/index.ts';
import { writeSession } from '../export/session-export.ts';
import { SessionHtml } from '../export/session-html.ts';
import { SessionMarkdown } from '../export/session-markdown.ts';
import { answerSessionQuestion } from '../llm/session-answer.ts';
import { sessionPage, turnDiff } from '../llm/session-read.ts';
import { TurnRow } from '../viewer/app/components/SessionView.tsx';
import { tempDir } from './support/harness.ts';
import { generatedSession, storeSession } from './support/session-store.ts';

const KEY = 'session:cut';
const STORED = 300;

describe('a turn whose request was stored cut (--max-body-mb)', () => {
  let dir: string;
  let db: Db;
  let reader: ExchangeReader;
  let ids: number[];
  let size: number;

  beforeAll(() => {
    dir = tempDir('wirelog-cut-');
    db = openDatabase(dir);
    ids = storeSession(db, 'cut', generatedSession(5));
    // Turn 4's request as --max-body-mb leaves it: its first bytes, marked truncated, its size the whole.
    const { data } = db.prepare("SELECT data FROM bodies WHERE exchange_id = ? AND side = 'request'").get(ids[3]) as {
      data: Buffer;
    };
    size = data.length;
    db.prepare("UPDATE bodies SET data = ? WHERE exchange_id = ? AND side = 'request'").run(
      data.subarray(0, STORED),
      ids[3],
    );
    db.prepare('UPDATE exchanges SET request_truncated = 1, request_stored = ? WHERE id = ?').run(STORED, ids[3]);
    reader = new ExchangeReader(db);
  });
  afterAll(() => {
    db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('its context and its diff are refused with the sizes and the fix, in English and Chinese; no compaction is claimed', () => {
    const context = answerSessionQuestion(reader, { kind: 'context', key: KEY, turn: ids[3] }, 'en');
    expect(context.status).toBe(422);
    expect(JSON.parse(context.json).error).toBe(
      `the request of exchange ${ids[3]} was ${size} bytes and only ${STORED} were stored (--max-body-mb): its context cannot be read, nor compared; raise --max-body-mb to capture requests whole`,
    );
    const diff = answerSessionQuestion(reader, { kind: 'diff', key: KEY, b: ids[3] }, 'zh-CN');
    expect(diff.status).toBe(422);
    expect(JSON.parse(diff.json).error).toContain(`请求 ${ids[3]} 原本有 ${size} 字节，只存了 ${STORED} 字节`);
    // The turn after it, against it: refused the same way, naming the cut one.
    const after = answerSessionQuestion(reader, { kind: 'diff', key: KEY, b: ids[4], a: ids[3] }, 'en');
    expect(JSON.parse(after.json).error).toContain(`exchange ${ids[3]} was ${size} bytes`);
  });

  it('the turn after it is compared by default with the last whole turn of its conversation', () => {
    const answer = turnDiff(reader, KEY, ids[4]);
    expect(answer.a.id).toBe(ids[2]);
    expect(answer.diff.earlierChanged).toBeNull();
    expect(answer.diff.messages.changes.map((c) => c.kind)).toEqual(['added', 'added', 'added', 'added']);
  });

  it('its row says the request was cut, with the sizes, in both languages', async () => {
    const { turns } = sessionPage(reader, KEY, 0, 10);
    expect(turns[3].requestCut).toEqual({ size, stored: STORED });
    expect(turns.filter((t) => t.requestCut).map((t) => t.id)).toEqual([ids[3]]);
    const html: Record<string, string> = {};
    for (const lng of ['en', 'zh-CN'] as const) {
      const i18n = i18next.createInstance().use(initReactI18next);
      await i18n.init({ lng, fallbackLng: 'en', resources: RESOURCES as never, initAsync: false });
      html[lng] = renderToStaticMarkup(
        createElement(
          I18nextProvider,
          { i18n },
          createElement(TurnRow, { turn: turns[3], active: null, onOpen: () => {} }),
        ),
      );
    }
    expect(html.en).toMatch(/data-testid="request-cut">the request was [\d.]+ KB and only 300 B of it was stored/);
    expect(html['zh-CN']).toMatch(/data-testid="request-cut">请求原本有 [\d.]+ KB，只存了 300 B（--max-body-mb）/);
  });

  it('the HTML and Markdown exports say it too, instead of showing no input', async () => {
    const exported = async (format: 'html' | 'markdown', lang: 'en' | 'zh-CN') => {
      const { t } = createI18n(lang);
      const at = Date.UTC(2026, 11, 6);
      const renderer =
        format === 'html' ? new SessionHtml(t, lang, '1.2.3', at) : new SessionMarkdown(t, lang, '1.2.3', at);
      let out = '';
      await writeSession(reader, KEY, renderer, (text) => {
        out += text;
      });
      return out;
    };
    const sizes = `${size.toLocaleString('en-US')} B and only ${STORED} B of it was stored (--max-body-mb)`;
    expect(await exported('html', 'en')).toContain(
      `<p class="note" data-testid="request-cut">the request was ${sizes}`,
    );
    expect(await exported('markdown', 'en')).toContain(`_the request was ${sizes}`);
    expect(await exported('markdown', 'zh-CN')).toContain(
      `_请求原本有 ${size.toLocaleString('en-US')} B，只存了 ${STORED} B（--max-body-mb）`,
    );
  });
});
