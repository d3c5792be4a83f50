// A session as a Markdown transcript for an issue report (issue 27): the header, then each turn's
// figures, what was said last, the answer, and its tool calls with arguments and results. Every
// captured string is in a code span or a fenced block, so nothing captured is read as Markdown or
// HTML; a fence is longer than any run of backticks in what it holds (a body with ``` inside
// cannot close it early), and a code span likewise. Raw exchanges are left to the HTML page and
// the HAR file: the transcript names each turn's exchange id.
import type { Translate } from '../i18n/index.ts';
import type { Language } from '../i18n/languages.ts';
import { renderDiagnosis } from '../llm/diagnosis-text.ts';
import type { SessionHeader, SessionTurn } from '../llm/session.ts';
import type { ExportTurn, SessionRenderer } from './session-export.ts';
import {
  callCostText,
  formatMs,
  sessionCostText,
  tokenParts,
  turnTimes,
  turnTokens,
  requestCutText,
  utcTime,
} from './session-figures.ts';

const longestRun = (text: string, char: string): number => {
  let longest = 0;
  for (const m of text.matchAll(new RegExp(`${char === '`' ? '`' : '~'}+`, 'g')))
    longest = Math.max(longest, m[0].length);
  return longest;
};

/** A fenced block that no content can close: its fence is longer than any backtick run inside. */
export function fence(text: string, info = 'text'): string {
  const marks = '`'.repeat(Math.max(3, longestRun(text, '`') + 1));
  return `${marks}${info}\n${text}${text.endsWith('\n') ? '' : '\n'}${marks}`;
}

/** Inline code for a short captured string (one line): delimited by more backticks than it holds. */
export function codeSpan(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ');
  if (!line) return '` `';
  const marks = '`'.repeat(longestRun(line, '`') + 1);
  // A span starting or ending with a backtick needs a space inside its delimiters (CommonMark strips one).
  const pad = line.startsWith('`') || line.endsWith('`') || (line.startsWith(' ') && line.endsWith(' ')) ? ' ' : '';
  return `${marks}${pad}${line}${pad}${marks}`;
}

/** A tool's arguments or result: fenced as JSON when they are, as text otherwise. */
const block = (text: string) => fence(text, /^\s*[[{]/.test(text) ? 'json' : 'text');

export class SessionMarkdown implements SessionRenderer {
  constructor(
    private readonly t: Translate,
    private readonly lang: Language,
    private readonly version: string,
    private readonly exportedAt: number,
  ) {}

  start(header: SessionHeader, total: number, cut: boolean): string {
    const { t, lang } = this;
    const item = (label: string, value: string) => `- ${t(label)}: ${value}`;
    return [
      `# ${t('sessionExport.title', { key: '' }).trim()} ${codeSpan(header.key)}`,
      '',
      `_${t('sessionExport.exportedMarkdown', { version: this.version, at: utcTime(this.exportedAt) })}_`,
      '',
      item('sessionExport.header.client', codeSpan(header.client.label ?? t('sessionExport.header.unknownClient'))),
      item('sessionExport.header.hosts', header.hosts.map(codeSpan).join(', ')),
      item('sessionExport.header.models', header.models.map(codeSpan).join(', ')),
      item('sessionExport.header.started', utcTime(header.startedAt)),
      item('sessionExport.header.duration', formatMs(header.durationMs)),
      item(
        'sessionExport.header.callsLabel',
        `${t('sessionExport.header.calls', { count: total })}${header.failed ? ` (${t('sessionExport.header.failed', { count: header.failed })})` : ''}`,
      ),
      item('sessionExport.header.tokens', tokenParts(t, lang, header.tokens).join(' · ')),
      item('sessionExport.header.cost', sessionCostText(t, header.cost)),
      cut ? `\n> ${t('sessionExport.header.cut', { count: total })}` : '',
      '',
    ].join('\n');
  }

  turn({ turn }: ExportTurn): string {
    const { t } = this;
    const status = turn.status === null ? turn.state : String(turn.status);
    const lines = [
      `## ${t('sessionExport.turn.label', { n: turn.index + 1 })} · ${status} · ${turn.model ? codeSpan(turn.model) : ''} · ${t('sessionExport.turn.exchange', { id: turn.id })}`,
      '',
      [...turnTokens(t, this.lang, turn), ...turnTimes(t, turn), callCostText(t, turn.cost)].join(' · '),
      '',
    ];
    const diagnosis = this.diagnosis(turn);
    if (diagnosis) lines.push(diagnosis, '');
    if (turn.requestCut)
      lines.push(`**${t('sessionExport.turn.said')}**`, '', `_${requestCutText(t, this.lang, turn.requestCut)}_`, '');
    else if (turn.inputs.length) {
      lines.push(`**${t('sessionExport.turn.said')}**`, '');
      const more = turn.inputCount - turn.inputs.length;
      if (more > 0) lines.push(`_${t('sessionExport.turn.moreInputs', { count: more })}_`, '');
      for (const input of turn.inputs)
        lines.push(
          `${t(`sessionExport.role.${input.role}`)}${input.toolCallId ? ` ${codeSpan(input.toolCallId)}` : ''}:`,
          '',
          fence(input.text),
          '',
        );
    }
    lines.push(`**${t('sessionExport.turn.answer')}**`, '');
    if (turn.unread) lines.push(`_${t('sessionExport.turn.unread')}_`, '');
    else {
      const a = turn.answer;
      if (a.text) lines.push(fence(a.text), '');
      else if (!a.toolCalls.length) lines.push(`_${t('sessionExport.turn.noAnswer')}_`, '');
      const notes = [
        a.reasoningChars ? t('sessionExport.turn.reasoning', { count: a.reasoningChars }) : '',
        a.images ? t('sessionExport.turn.images', { count: a.images }) : '',
        a.finishReason ? t('sessionExport.turn.finish', { reason: a.finishReason }) : '',
      ].filter(Boolean);
      if (notes.length) lines.push(`_${notes.join(' · ')}_`, '');
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
      for (const pair of tools) {
        lines.push(
          `- ${t('sessionExport.turn.toolCall', { name: codeSpan(pair.name) })}${pair.callId ? ` ${codeSpan(pair.callId)}` : ''}`,
          '',
          `  ${t('sessionExport.turn.arguments')}:`,
          '',
          indent(block(pair.arguments)),
          '',
        );
        if (pair.result === null) lines.push(`  _${t('sessionExport.turn.noResult')}_`, '');
        else {
          const delay =
            pair.clientDelayMs !== null
              ? ` · ${t('sessionExport.turn.clientTook', { value: formatMs(pair.clientDelayMs) })}`
              : '';
          lines.push(
            `  ${t('sessionExport.turn.result', { n: turn.index + 2 })}${delay}:`,
            '',
            indent(block(pair.result)),
            '',
          );
        }
      }
    }
    return `${lines.join('\n')}\n`;
  }

  end(): string {
    return '';
  }

  private diagnosis(turn: SessionTurn): string {
    const d = turn.diagnosis;
    if (!d) return '';
    const text = d.message ? renderDiagnosis(d.message, this.lang) : { summary: d.summary, fix: '' };
    return [
      `> **${this.t('sessionExport.turn.diagnosis')}** (${d.severity}):`,
      '>',
      quoteFence(text.summary),
      ...(text.fix
        ? ['>', `> ${this.t('sessionExport.turn.fix', { fix: '' }).trim()}`, '>', quoteFence(text.fix)]
        : []),
    ].join('\n');
  }
}

/** A block inside a list item: every line indented two spaces (a fence's lines included). */
function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');
}

/** A fenced block inside a block quote: a diagnosis names captured values (URLs, models, bodies). */
function quoteFence(text: string): string {
  return fence(text)
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}
