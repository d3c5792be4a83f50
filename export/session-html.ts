// A session as one self-contained HTML page (issue 27): the header, each turn (what was said last,
// the answer, tool calls with their arguments and paired results, figures, status, diagnosis) and
// each turn's raw exchange folded under it. It opens offline in any browser: the style is inline,
// there is no script at all, and a Content-Security-Policy meta forbids loading anything, so even
// a captured string that got past the escaping could fetch nothing. Every captured string is
// HTML-escaped and only ever lands in text (never in a URL, a style or an event attribute).
import type { Translate } from '../i18n/index.ts';
import type { Language } from '../i18n/languages.ts';
import { renderDiagnosis } from '../llm/diagnosis-text.ts';
import type { SessionHeader, SessionTurn } from '../llm/session.ts';
import {
  EXPORT_BODY_CHARS,
  type ExportTurn,
  type RawExchange,
  type RawSide,
  type SessionRenderer,
} from './session-export.ts';
import {
  callCostText,
  formatInt,
  formatMs,
  sessionCostText,
  tokenParts,
  turnTimes,
  turnTokens,
  requestCutText,
  utcTime,
} from './session-figures.ts';
import { TURN_TEXT_LIMIT } from '../llm/session.ts';

/** Nothing loads: no script (none is needed), no image, font, frame or connection; styles only inline. */
export const SESSION_HTML_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in an element's content and in a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const STYLE = `
:root { color-scheme: light dark; --muted: #6b7280; --line: #d1d5db; --bad: #b91c1c; --warn: #b45309; --code: rgba(127,127,127,.1); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0 auto; max-width: 1100px; padding: 16px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 0; } h3 { font-size: 13px; margin: 10px 0 4px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.muted, .note { color: var(--muted); } .note { font-size: 12px; }
dl.header { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 12px 0; } dl.header dt { color: var(--muted); } dl.header dd { margin: 0; }
article.turn { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 12px 0; }
.turn-head { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; }
.figures { margin: 4px 0; color: var(--muted); }
.status { font-family: ui-monospace, monospace; } .status.bad { color: var(--bad); font-weight: 600; }
.diagnosis { border-left: 3px solid var(--warn); padding: 2px 8px; margin: 6px 0; } .diagnosis.error { border-color: var(--bad); }
pre, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { background: var(--code); padding: 6px 8px; border-radius: 4px; white-space: pre-wrap; overflow-wrap: anywhere; margin: 2px 0 6px; max-height: 480px; overflow: auto; }
.tool { border-left: 3px solid var(--line); padding-left: 8px; margin: 6px 0; }
details.raw { margin-top: 8px; } details.raw summary { cursor: pointer; color: var(--muted); }
table.headers { border-collapse: collapse; font-size: 12px; margin: 2px 0 6px; } table.headers td { padding: 1px 8px 1px 0; vertical-align: top; font-family: ui-monospace, monospace; overflow-wrap: anywhere; } table.headers td:first-child { color: var(--muted); white-space: nowrap; }
`;

const e = escapeHtml;
const pre = (text: string, testId?: string) => `<pre${testId ? ` data-testid="${testId}"` : ''}>${e(text)}</pre>`;

/** A number for a data attribute: tests and scripts read the figures exactly; empty when not reported. */
const num = (value: number | null | undefined): string => (value === null || value === undefined ? '' : String(value));

export class SessionHtml implements SessionRenderer {
  constructor(
    private readonly t: Translate,
    private readonly lang: Language,
    private readonly version: string,
    private readonly exportedAt: number,
  ) {}

  start(header: SessionHeader, total: number, cut: boolean): string {
    const { t, lang } = this;
    const row = (label: string, value: string) => `<dt>${e(label)}</dt><dd>${value}</dd>`;
    const failed = header.failed
      ? ` · <span class="status bad">${e(t('sessionExport.header.failed', { count: header.failed }))}</span>`
      : '';
    return [
      '<!doctype html>',
      `<html lang="${lang === 'zh-CN' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8">`,
      `<meta http-equiv="Content-Security-Policy" content="${e(SESSION_HTML_CSP)}">`,
      '<meta name="referrer" content="no-referrer"><meta name="viewport" content="width=device-width, initial-scale=1">',
      `<title>${e(t('sessionExport.title', { key: header.key }))}</title><style>${STYLE}</style></head><body>`,
      `<header data-testid="session-header" data-key="${e(header.key)}" data-calls="${total}" data-input-tokens="${num(header.tokens.input)}" data-output-tokens="${num(header.tokens.output)}" data-cost-usd="${num(header.cost.usd)}">`,
      `<h1>${e(t('sessionExport.title', { key: header.key }))}</h1>`,
      `<p class="note">${e(t('sessionExport.exported', { version: this.version, at: utcTime(this.exportedAt), limit: formatInt(EXPORT_BODY_CHARS, lang) }))} ${e(t('sessionExport.offline'))}</p>`,
      '<dl class="header">',
      row(t('sessionExport.header.client'), e(header.client.label ?? t('sessionExport.header.unknownClient'))),
      row(t('sessionExport.header.hosts'), e(header.hosts.join(', '))),
      row(t('sessionExport.header.models'), e(header.models.join(', '))),
      row(t('sessionExport.header.started'), e(utcTime(header.startedAt))),
      row(t('sessionExport.header.duration'), e(formatMs(header.durationMs))),
      row(
        t('sessionExport.header.callsLabel'),
        `<span data-testid="session-calls">${e(t('sessionExport.header.calls', { count: total }))}</span>${failed}`,
      ),
      row(t('sessionExport.header.tokens'), e(tokenParts(t, lang, header.tokens).join(' · '))),
      row(
        t('sessionExport.header.cost'),
        `<span data-testid="session-cost">${e(sessionCostText(t, header.cost))}</span>`,
      ),
      '</dl>',
      cut ? `<p class="diagnosis">${e(t('sessionExport.header.cut', { count: total }))}</p>` : '',
      `<p class="note">${e(t('sessionExport.turn.clipped', { limit: formatInt(TURN_TEXT_LIMIT, lang) }))}</p>`,
      '</header><main>',
    ].join('\n');
  }

  turn({ turn, raw }: ExportTurn): string {
    const { t } = this;
    const bad = (turn.status ?? 0) >= 400 || (turn.state !== 'complete' && turn.state !== 'streaming');
    const u = turn.usage;
    const attrs = [
      `data-testid="turn" data-turn="${turn.index + 1}" data-id="${turn.id}" data-status="${num(turn.status)}"`,
      `data-input-tokens="${num(u.input)}" data-output-tokens="${num(u.output)}" data-cache-read-tokens="${num(u.cacheRead)}" data-cost-usd="${num(turn.cost?.usd)}"`,
    ].join(' ');
    return [
      `<article class="turn" id="turn-${turn.index + 1}" ${attrs}>`,
      '<div class="turn-head">',
      `<h2>${e(t('sessionExport.turn.label', { n: turn.index + 1 }))}</h2>`,
      `<span class="status${bad ? ' bad' : ''}">${e(turn.status === null ? turn.state : String(turn.status))}</span>`,
      `<code>${e(turn.model ?? '')}</code>`,
      `<span class="muted">${e(utcTime(turn.startedAt))}</span>`,
      `<span class="muted">${e(t('sessionExport.turn.exchange', { id: turn.id }))}</span>`,
      '</div>',
      `<p class="figures" data-testid="turn-figures">${e([...turnTokens(t, this.lang, turn), ...turnTimes(t, turn)].join(' · '))} · <span data-testid="turn-cost">${e(callCostText(t, turn.cost))}</span></p>`,
      this.diagnosis(turn),
      this.inputs(turn),
      this.answer(turn),
      raw ? this.raw(raw) : '',
      '</article>',
    ].join('\n');
  }

  end(): string {
    return '</main></body></html>\n';
  }

  private diagnosis(turn: SessionTurn): string {
    const d = turn.diagnosis;
    if (!d) return '';
    const text = d.message ? renderDiagnosis(d.message, this.lang) : { summary: d.summary, fix: '' };
    const fix = text.fix ? `<br>${e(this.t('sessionExport.turn.fix', { fix: text.fix }))}` : '';
    return `<div class="diagnosis ${e(d.severity)}" data-testid="turn-diagnosis"><strong>${e(this.t('sessionExport.turn.diagnosis'))}</strong>: ${e(text.summary)}${fix}</div>`;
  }

  private inputs(turn: SessionTurn): string {
    const { t } = this;
    if (turn.requestCut)
      return `<h3>${e(t('sessionExport.turn.said'))}</h3><p class="note" data-testid="request-cut">${e(requestCutText(t, this.lang, turn.requestCut))}</p>`;
    if (!turn.inputs.length) return '';
    const more = turn.inputCount - turn.inputs.length;
    return [
      `<h3>${e(t('sessionExport.turn.said'))}</h3>`,
      more > 0 ? `<p class="note">${e(t('sessionExport.turn.moreInputs', { count: more }))}</p>` : '',
      ...turn.inputs.map(
        (input) =>
          `<div class="input" data-testid="turn-input"><span class="muted">${e(t(`sessionExport.role.${input.role}`))}${input.toolCallId ? ` <code>${e(input.toolCallId)}</code>` : ''}</span>${pre(input.text)}</div>`,
      ),
    ].join('\n');
  }

  private answer(turn: SessionTurn): string {
    const { t } = this;
    const a = turn.answer;
    if (turn.unread)
      return `<h3>${e(t('sessionExport.turn.answer'))}</h3><p class="muted">${e(t('sessionExport.turn.unread'))}</p>`;
    const notes = [
      a.reasoningChars ? t('sessionExport.turn.reasoning', { count: a.reasoningChars }) : '',
      a.images ? t('sessionExport.turn.images', { count: a.images }) : '',
      a.finishReason ? t('sessionExport.turn.finish', { reason: a.finishReason }) : '',
    ].filter(Boolean);
    const tools = turn.tools.length
      ? turn.tools
      : a.toolCalls.map((c) => ({
          callId: c.id,
          name: c.name,
          arguments: c.arguments,
          result: null,
          resultTurnId: null,
          clientDelayMs: null,
        }));
    return [
      `<h3>${e(t('sessionExport.turn.answer'))}</h3>`,
      a.text
        ? pre(a.text, 'turn-answer')
        : !tools.length
          ? `<p class="muted">${e(t('sessionExport.turn.noAnswer'))}</p>`
          : '',
      notes.length ? `<p class="note">${e(notes.join(' · '))}</p>` : '',
      ...tools.map((pair) => {
        const resultTurn = pair.resultTurnId === null ? null : turn.index + 2;
        return [
          `<div class="tool" data-testid="tool-call" data-call-id="${e(pair.callId ?? '')}">`,
          `<strong>${e(t('sessionExport.turn.toolCall', { name: pair.name }))}</strong>${pair.callId ? ` <code>${e(pair.callId)}</code>` : ''}`,
          `<div class="muted">${e(t('sessionExport.turn.arguments'))}</div>${pre(pair.arguments, 'tool-arguments')}`,
          pair.result !== null
            ? `<div class="muted">${e(t('sessionExport.turn.result', { n: resultTurn ?? '' }))}${pair.clientDelayMs !== null ? ` · ${e(t('sessionExport.turn.clientTook', { value: formatMs(pair.clientDelayMs) }))}` : ''}</div>${pre(pair.result, 'tool-result')}`
            : `<div class="muted" data-testid="tool-no-result">${e(t('sessionExport.turn.noResult'))}</div>`,
          '</div>',
        ].join('\n');
      }),
    ].join('\n');
  }

  private side(title: string, side: RawSide, first: string): string {
    const { t, lang } = this;
    const headers = side.headers.length
      ? `<table class="headers">${side.headers.map(([n, v]) => `<tr><td>${e(n)}</td><td>${e(v)}</td></tr>`).join('')}</table>`
      : '';
    const notes = [
      side.notStored
        ? t('sessionExport.raw.notStored', {
            stored: formatInt(side.notStored.stored, lang),
            size: formatInt(side.notStored.size, lang),
          })
        : '',
      side.decodeError ? t('sessionExport.raw.decodeError', { error: side.decodeError }) : '',
      side.binary
        ? t('sessionExport.raw.binary', { size: formatInt(side.binary.size, lang), mime: side.binary.mime || '?' })
        : '',
      side.text !== null && side.textChars > side.text.length
        ? t('sessionExport.raw.trimmed', {
            shown: formatInt(side.text.length, lang),
            total: formatInt(side.textChars, lang),
          })
        : '',
    ].filter(Boolean);
    const body =
      side.text !== null
        ? pre(side.text, 'raw-body')
        : side.binary
          ? ''
          : `<p class="muted">${e(t('sessionExport.raw.noBody'))}</p>`;
    return [
      `<h3>${e(title)}</h3>`,
      `<div><code>${e(first)}</code></div>`,
      headers,
      body,
      ...notes.map((n) => `<p class="note" data-testid="raw-note">${e(n)}</p>`),
    ].join('\n');
  }

  private raw(raw: RawExchange): string {
    const { t, lang } = this;
    const res = raw.response;
    const ws = raw.webSocket;
    return [
      `<details class="raw" data-testid="raw-exchange"><summary>${e(t('sessionExport.raw.title', { id: raw.id }))}: <code>${e(`${raw.method} ${raw.url}`)}</code></summary>`,
      raw.error ? `<p class="diagnosis error">${e(t('sessionExport.raw.error', { error: raw.error }))}</p>` : '',
      raw.notes.length ? `<p class="note">${e(t('sessionExport.raw.notes', { notes: raw.notes.join('; ') }))}</p>` : '',
      this.side(t('sessionExport.raw.request'), raw.request, `${raw.method} ${raw.url}`),
      res
        ? this.side(t('sessionExport.raw.response'), res, `${res.status} ${res.statusText}`)
        : `<h3>${e(t('sessionExport.raw.response'))}</h3><p class="muted">${e(t('sessionExport.raw.noResponse', { state: raw.state }))}</p>`,
      ws
        ? `<h3>${e(t('sessionExport.raw.webSocket', { count: ws.count }))}</h3>${pre(ws.text, 'raw-body')}${ws.textChars > ws.text.length ? `<p class="note" data-testid="raw-note">${e(t('sessionExport.raw.trimmed', { shown: formatInt(ws.text.length, lang), total: formatInt(ws.textChars, lang) }))}</p>` : ''}`
        : '',
      '</details>',
    ].join('\n');
  }
}
