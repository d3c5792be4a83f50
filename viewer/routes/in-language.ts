// The API's answers in the reader's language: what wirelog stored in English (errors, notes,
// damage, the secrets a replay withheld, a Codex block's notes) rendered again when read.
import { localized, localizedAll } from '../../i18n/stored-text.ts';
import type { Language } from '../../i18n/languages.ts';
import type { ClientConfig } from '../../llm/working-config.ts';
import { renderDiagnosis } from '../../llm/diagnosis-text.ts';
import type { Exchange } from '../../model/exchange.ts';
import { LIST_TEXT_LIMITS, clipped, type ExchangeSummary } from '../../model/summary.ts';
import type { WithheldSecret } from '../../replay/secret-guard.ts';

/** What wirelog stored on an exchange (its error, notes, damage) in the reader's language: rendered when read. */
export function exchangeIn(exchange: Exchange, lang: Language): Exchange {
  if (lang === 'en') return exchange;
  return {
    ...exchange,
    error: exchange.error === null ? null : localized(exchange.error, lang),
    ...(exchange.notes ? { notes: localizedAll(exchange.notes, lang) } : {}),
    ...(exchange.damaged ? { damaged: localizedAll(exchange.damaged, lang) } : {}),
  };
}

/** A replay's answer in the reader's language: why each secret it withheld was left out. */
export function replayAnswerIn<T extends { withheld: WithheldSecret[] }>(answer: T, lang: Language): T {
  return { ...answer, withheld: answer.withheld.map((w) => ({ ...w, message: localized(w.message, lang) })) };
}

/** What worked, as each client is configured, in the reader's language: the Codex block's notes (the TOML itself is never translated). */
export function clientConfigIn(config: ClientConfig | null, lang: Language): ClientConfig | null {
  if (!config) return null;
  return {
    ...config,
    codex: config.codex && { ...config.codex, notes: localizedAll(config.codex.notes, lang) },
    codexNote: config.codexNote === null ? null : localized(config.codexNote, lang),
  };
}

/** A list row in the reader's language: its recorded error and notes, and its diagnosis rendered from its message. */
export function summaryIn(summary: ExchangeSummary, lang: Language): ExchangeSummary {
  if (lang === 'en') return summary;
  const diagnosis = summary.diagnosis?.message
    ? {
        ...summary.diagnosis,
        summary: clipped(renderDiagnosis(summary.diagnosis.message, lang).summary, LIST_TEXT_LIMITS.diagnosis),
      }
    : summary.diagnosis;
  return {
    ...summary,
    error: summary.error === null ? null : localized(summary.error, lang),
    notes: summary.notes === null ? null : localizedAll(summary.notes.split('\n'), lang).join('\n'),
    ...(summary.damaged ? { damaged: localizedAll(summary.damaged, lang) } : {}),
    diagnosis,
  };
}
