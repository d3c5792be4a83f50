// The errors and notes wirelog stores on an exchange, and the API's refusals, in the reader's
// language. They are stored (and answered) as the English sentences of the catalogue's `server`
// messages (i18n/messages/server.en.ts): each is one message with its parameters in a fixed
// frame, so the text read back names the message and its parameters, and is rendered again in
// the language asked for. Everything else reads as it was stored: rows of older wirelogs, and
// what came from elsewhere (an operating system's error, a provider's message) stay as they are.
import type { i18n } from 'i18next';
import { createI18n } from './index.ts';
import type { Language } from './languages.ts';
import { server } from './messages/server.en.ts';

interface Template {
  key: string;
  pattern: RegExp;
  names: string[];
  /** Characters of fixed text: a more specific frame is tried first. */
  literal: number;
}

const PLACEHOLDER = /\{\{(\w+)\}\}/g;
/** Parameters that are always a whole number: matched as digits only, so a list's items are not read as one. */
const NUMBERS = new Set(['n', 'bytes', 'kb', 'id', 'more']);
/** Parameters that are one word (a HAR field's path, such as request.headers.0.name): a sentence around them is not read as one. */
const WORDS = new Set(['field']);
/** Parameters that are a JSON string (a HAR entry's bad method or header name, quoted as JSON.stringify writes it). */
const QUOTED = new Set(['quoted']);

function templatesOf(group: 'stored' | 'advice' | 'api'): Template[] {
  return Object.entries(server[group]).map(([name, english]) => {
    const names = [...english.matchAll(PLACEHOLDER)].map((m) => m[1]);
    // A one-line sentence's parameters are one line too: the lines of a list (an import's refusal) are each a sentence of their own.
    const text = english.includes('\n') ? '([\\s\\S]+?)' : '([^\\n]+?)';
    const source = english
      .split(PLACEHOLDER)
      .map((part, i) =>
        i % 2 === 1
          ? NUMBERS.has(part)
            ? '(\\d[\\d,]*)'
            : WORDS.has(part)
              ? '(\\S+?)'
              : QUOTED.has(part)
                ? '("(?:[^"\\\\\\n]|\\\\.)*")'
                : text
          : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('');
    return {
      key: `server.${group}.${name}`,
      pattern: new RegExp(`^${source}$`),
      names,
      literal: english.replace(PLACEHOLDER, '').length,
    };
  });
}

let templates: Template[] | null = null;
const instances = new Map<Language, i18n>();

function allTemplates(): Template[] {
  templates ??= [...templatesOf('stored'), ...templatesOf('advice'), ...templatesOf('api')].sort(
    (a, b) => b.literal - a.literal,
  );
  return templates;
}

function translator(lang: Language): i18n {
  let instance = instances.get(lang);
  if (!instance) instances.set(lang, (instance = createI18n(lang)));
  return instance;
}

/** Lists inside a stored text, and how each language joins their items. */
const JOINS: { en: string; 'zh-CN': string }[] = [
  // An import's refusal: a problem per indented line.
  { en: '\n  ', 'zh-CN': '\n  ' },
  { en: '; ', 'zh-CN': '；' },
  { en: ', ', 'zh-CN': '，' },
];
// Parameters are themselves messages at most this deep (an upstream failure inside "cannot forward").
const DEPTH = 3;

/** One stored text (an error, a note, an API refusal) in `lang`; as it is when it is not one of the catalogue's. */
export function localized(text: string, lang: Language): string {
  if (lang === 'en' || !text) return text;
  return inLanguage(text, lang, 0) ?? text;
}

/**
 * What wirelog answers a client itself (a refusal, an upstream it could not reach): its name and
 * the reason in `lang`, the process's language. The exchange keeps the English reason.
 */
export function answerText(reason: string, lang: Language = 'en'): string {
  return `wirelog: ${localized(reason, lang)}\n`;
}

/** Each of several notes, in `lang`. */
export function localizedAll(notes: readonly string[], lang: Language): string[] {
  return notes.map((note) => localized(note, lang));
}

/** The text rendered in `lang` when it is a message of the catalogue (or a list of them); null when it is not. */
function inLanguage(text: string, lang: Language, depth: number): string | null {
  const whole = message(text, lang, depth);
  if (whole !== null) return whole;
  for (const join of JOINS) {
    const parts = text.split(join.en);
    if (parts.length < 2) continue;
    const rendered = joined(parts, join.en, lang, depth);
    if (rendered) return rendered.join(join[lang]);
  }
  return null;
}

/** The parts grouped greedily into messages (a message may hold the separator itself); null when none is one. */
function joined(parts: string[], separator: string, lang: Language, depth: number): string[] | null {
  const out: string[] = [];
  for (let i = 0; i < parts.length; ) {
    let found = false;
    for (let j = parts.length; j > i; j--) {
      const rendered = message(parts.slice(i, j).join(separator), lang, depth);
      if (rendered !== null) {
        out.push(rendered);
        i = j;
        found = true;
        break;
      }
    }
    // Not a message (an operating system's words, a provider's): kept as it is, beside the parts that are.
    if (!found) out.push(parts[i++]);
  }
  return out.length === parts.length && out.every((part, k) => part === parts[k]) ? null : out;
}

function message(text: string, lang: Language, depth: number): string | null {
  for (const template of allTemplates()) {
    const m = template.pattern.exec(text);
    if (!m) continue;
    const params: Record<string, string> = {};
    template.names.forEach((name, i) => {
      const value = m[i + 1];
      params[name] = depth < DEPTH ? (inLanguage(value, lang, depth + 1) ?? value) : value;
    });
    return translator(lang).t(template.key, params);
  }
  return null;
}

/**
 * One of the catalogue's server messages (`server.stored.*`, `server.api.*`, and `server.request.*`,
 * which is said and never stored) in `lang`: how the server side says a thing.
 */
export function serverText(
  lang: Language,
  key: `${'stored' | 'advice' | 'api' | 'request'}.${string}`,
  params: Record<string, string | number> = {},
): string {
  return translator(lang).t(`server.${key}`, params);
}

/**
 * A sentence as data: a catalogue key (from the root: `dataFiles.file.refused`) and its
 * parameters, some of them phrases themselves (the file's part, the problem, the fix). An error
 * made of one says it in English as its message, and in the reader's language where it is shown.
 */
export interface Phrase {
  key: string;
  params?: Record<string, string | number | Phrase>;
}

/** A phrase (or a plain text, as it is) in `lang`, its phrase parameters rendered first. */
export function phraseText(phrase: Phrase | string, lang: Language): string {
  if (typeof phrase === 'string') return phrase;
  const params: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(phrase.params ?? {}))
    params[name] = typeof value === 'object' ? phraseText(value, lang) : value;
  return translator(lang).t(phrase.key, params);
}

/**
 * An error that says a phrase: its message in English (logs, scripts), its phrase for the
 * reader's language (a text already in the reader's language stays as it is).
 */
export class PhraseError extends Error {
  constructor(readonly phrase: Phrase | string) {
    super(phraseText(phrase, 'en'));
  }
}
