import { describe, expect, it } from 'vitest';
import { createI18n } from '../i18n/index.ts';
import { cliLanguage, languageOf, pickLanguage } from '../i18n/languages.ts';
import { catalogue } from './support/catalogue.ts';

describe('which language', () => {
  it.each([
    ['zh-CN', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['zh-Hans-SG', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['zh_CN.UTF-8', 'zh-CN'],
    ['zh_CN.GB18030@stroke', 'zh-CN'],
    ['en_US.UTF-8', 'en'],
    ['en', 'en'],
    ['C.UTF-8', null],
    ['POSIX', null],
    ['fr_FR.UTF-8', null],
    ['', null],
  ])('%s is %s', (tag, language) => {
    expect(languageOf(tag)).toBe(language);
  });

  it('the browser: the first language of ours in the list, English when none', () => {
    expect(pickLanguage(['fr-FR', 'zh-CN', 'en'])).toBe('zh-CN');
    expect(pickLanguage(['en-GB', 'zh-CN'])).toBe('en');
    expect(pickLanguage(['fr', 'de'])).toBe('en');
    expect(pickLanguage([])).toBe('en');
  });

  it('the shell: --lang, WIRELOG_LANG, then LC_ALL over LC_MESSAGES over LANG, LANGUAGE first when a locale is set', () => {
    expect(cliLanguage({ LANG: 'zh_CN.UTF-8' })).toBe('zh-CN');
    expect(cliLanguage({ LANG: 'zh_CN.UTF-8', LC_ALL: 'en_US.UTF-8' })).toBe('en');
    expect(cliLanguage({ LANG: 'en_US.UTF-8', LC_MESSAGES: 'zh_CN.UTF-8' })).toBe('zh-CN');
    expect(cliLanguage({ LANG: 'zh_CN.UTF-8' }, 'en')).toBe('en');
    expect(cliLanguage({ LANG: 'en_US.UTF-8', WIRELOG_LANG: 'zh-CN' })).toBe('zh-CN');
    expect(cliLanguage({ LANG: 'en_US.UTF-8', LANGUAGE: 'zh_CN:en' })).toBe('zh-CN');
    // GNU ignores LANGUAGE under the C locale.
    expect(cliLanguage({ LANG: 'C', LANGUAGE: 'zh_CN' })).toBe('en');
    expect(cliLanguage({})).toBe('en');
  });
});

const placeholders = (text: string) => [...text.matchAll(/\{\{\s*([\w.]+)/g)].map((m) => m[1]).sort();

describe('the catalogue', () => {
  const en = catalogue('en');
  const zh = catalogue('zh-CN');

  it('has every key in both languages, and nothing empty', () => {
    expect([...zh.keys()].sort()).toEqual([...en.keys()].sort());
    for (const [key, text] of [...en, ...zh]) expect(text.trim(), key).not.toBe('');
  });

  it('fills the same {{placeholders}} in both languages', () => {
    for (const [key, text] of en) expect(placeholders(zh.get(key)!), key).toEqual(placeholders(text));
  });

  it('a Chinese string says it in Chinese, not in untranslated English', () => {
    for (const [key, text] of zh) {
      const withoutTerms = text
        .replace(/\{\{[^}]+\}\}/g, '')
        .replace(
          /\b(HAR|HTTP|HTTPS|JSON|SSE|URL|API|CA|MB|KB|wirelog|Chrome|Playwright|mitmproxy|Codex|Cherry Studio|base_url)\b/g,
          '',
        );
      if (/[A-Za-z]{3,}/.test(withoutTerms) && !/[\u4e00-\u9fff]/.test(text))
        throw new Error(`${key} is English in zh-CN: ${text}`);
    }
  });

  it('speaks each language it is made for', () => {
    expect(createI18n('zh-CN').t('topbar.retention', { mb: 2048 })).toBe('最多保留 2048 MB，超出时先删最早的');
    expect(createI18n('en').t('topbar.retention', { mb: 2048 })).toBe('keeps up to 2048 MB; the oldest go first');
  });
});

describe('diagnoses in the language asked for', () => {
  it('the detail API answers in ?lang=zh-CN, English otherwise', async () => {
    const { startHarness } = await import('./support/harness.ts');
    const h = await startHarness();
    try {
      const res = await fetch(
        `http://127.0.0.1:${h.wirelog.proxy.port}/https/localhost:${h.upstream.httpsPort}/keyed/v1/chat/completions`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"m","messages":[]}' },
      );
      expect(res.status).toBe(401);
      await res.arrayBuffer();
      await h.stored();
      const id = h.wirelog.reader.list({ limit: 1 })[0].id;
      const read = async (lang?: string) =>
        (
          (await (
            await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${id}${lang ? `?lang=${lang}` : ''}`)
          ).json()) as { diagnoses: { rule: string; summary: string }[] }
        ).diagnoses;
      const zh = await read('zh-CN');
      const en = await read();
      expect(zh[0].rule).toBe(en[0].rule);
      expect(zh[0].summary).toMatch(/[\u4e00-\u9fff]/);
      expect(zh[0].summary).not.toBe(en[0].summary);
      expect((await read('xx'))[0].summary).toBe(en[0].summary);
    } finally {
      await h.close();
    }
  });
});

describe('the CLI in the shell language', () => {
  it('follows LANG, and --lang wins; an unknown --lang is a usage error naming the languages', async () => {
    const { runCli } = await import('./support/cli.ts');
    const zh = await runCli(['--help'], {
      env: { WIRELOG_LANG: '', LC_ALL: '', LC_MESSAGES: '', LANG: 'zh_CN.UTF-8' },
    });
    expect(zh.stdout).toMatch(/看清你的 AI 工具/);
    const en = await runCli(['--lang', 'en', '--help'], { env: { WIRELOG_LANG: '', LANG: 'zh_CN.UTF-8' } });
    expect(en.stdout).toMatch(/^wirelog [\d.]+: see what your AI tools send/);
    const bad = await runCli(['--lang=fr', 'list'], { env: { WIRELOG_LANG: '' } });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('wirelog: --lang fr: wirelog speaks en and zh-CN\n');
    const unknown = await runCli(['nope'], { env: { WIRELOG_LANG: 'zh-CN' } });
    expect(unknown.stderr).toMatch(/^wirelog: 没有 "nope" 这个命令/);
  });
});
