import fs from 'node:fs';
import { diagnosedFromEvidence, eventsLookedAt, webSocketsNear } from '../llm/stored-calls.ts';
import { comparisonOf, lastWorkingCall } from '../db/compare-reader.ts';
import { ExchangeReader } from '../db/reader.ts';
import { differenceLine } from '../model/exchange-diff.ts';
import { DatabaseOpenError, databasePath, openDatabase } from '../db/schema.ts';
import { groupDiagnoses, idRange } from '../llm/doctor-groups.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { prepareDataDir } from './data-dir.ts';
import { renderDiagnosis } from '../llm/diagnosis-text.ts';
import type { Diagnosis } from '../llm/diagnose.ts';
import { cliLang, t } from './language.ts';
import { sendingClient } from '../llm/working-config.ts';
import type { BodySide, Exchange } from '../model/exchange.ts';
import { localized } from '../i18n/stored-text.ts';
import { DecodedBodies } from '../db/decoded-bodies.ts';
import { RecentParts } from '../export/har.ts';
import { exchangeUrl } from '../model/exchange.ts';

export const doctorHelp = () => t('commands.doctor.help');

/** A diagnosis in the CLI's language, from its message (its English text when it has none). */
function rendered(d: Diagnosis): { summary: string; fix: string } {
  return d.message ? renderDiagnosis(d.message, cliLang()) : { summary: d.summary, fix: d.fix };
}

export function doctorCommand(args: string[]): number {
  const { values, positionals } = parseFlags(
    'doctor',
    args,
    { 'data-dir': { type: 'string' }, last: { type: 'string' }, json: { type: 'boolean' } },
    true,
  );
  const last = values.last === undefined ? 20 : Number(values.last);
  if (!Number.isInteger(last) || last < 1)
    throw new UsageError(t('commands.flags.wholeNumber', { flag: '--last', value: values.last }));
  if (positionals.length > 1 || (positionals[0] !== undefined && !/^\d+$/.test(positionals[0])))
    throw new UsageError(t('commands.doctor.oneId'));
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  if (!fs.existsSync(databasePath(dataDir))) throw new DatabaseOpenError(t('commands.dataDir.noCaptures', { dataDir }));
  const reader = new ExchangeReader(openDatabase(dataDir));
  const read = positionals[0]
    ? [reader.get(Number(positionals[0]))].filter((e) => e !== null)
    : reader.list({ limit: last });
  if (positionals[0] && read.length === 0)
    throw new UsageError(t('commands.dataDir.noExchange', { id: positionals[0], dataDir }));
  // Diagnosed in English: retries are grouped by the English text, and --json keeps English fields for scripts.
  // A damaged row is named, not diagnosed: what was read in place of its damaged columns would give a wrong diagnosis.
  const damaged = read.filter((e) => e.damaged);
  const exchanges = read.filter((e) => !e.damaged);
  const byId = new Map(exchanges.map((e) => [e.id, e]));
  const working: WorkingCalls = new Map();
  for (const e of damaged)
    console.error(`wirelog: ${t('commands.doctor.damagedNotDiagnosed', { id: e.id, reasons: e.damaged!.join('; ') })}`);
  const bodies = new DecodedBodies(reader, new RecentParts());
  const groups = groupDiagnoses(diagnosedAll(reader, exchanges, bodies)).map((g) => {
    // The newest try of each group is among the rows read; relays' groups share their look for a working call.
    const newest = g.ids[g.ids.length - 1];
    return { ...g, difference: differenceFromWorking(reader, newest, { failed: byId.get(newest), working, bodies }) };
  });
  const errors = groups.filter((g) => g.diagnoses.some((d) => d.severity === 'error')).length;
  if (values.json) {
    console.log(
      JSON.stringify(
        groups.map((g) => ({
          ...g,
          diagnoses: g.diagnoses.map((d) => ({ ...d, text: rendered(d) })),
          first: new Date(g.first).toISOString(),
          last: new Date(g.last).toISOString(),
        })),
        null,
        2,
      ),
    );
    return errors > 0 || damaged.length > 0 ? 1 : 0;
  }
  for (const g of groups) {
    const when =
      g.ids.length === 1
        ? clock(g.first)
        : t('commands.doctor.tries', { count: g.ids.length, first: clock(g.first), last: clock(g.last) });
    console.log(`${idRange(g.ids)} ${g.method} ${g.url} → ${g.status}  (${g.client ? `${g.client}, ` : ''}${when})`);
    for (const d of g.diagnoses) {
      const text = rendered(d);
      console.log(`  [${t(`commands.doctor.severity.${d.severity}`)}] ${text.summary}`);
      console.log(t('commands.doctor.fix', { fix: text.fix }));
    }
    if (g.difference) console.log(t('commands.doctor.compared', { difference: localized(g.difference, cliLang()) }));
  }
  for (const e of damaged) console.log(t('commands.doctor.damagedEntry', { id: e.id, reasons: e.damaged!.join('; ') }));
  // A call wirelog could not deliver (DNS, a refused connection, a timeout) or refused itself (a loop) that no
  // rule explains: what wirelog recorded, never "no problems".
  const diagnosed = new Set(groups.flatMap((g) => g.ids));
  const undelivered = exchanges.filter(
    (e) => (e.state === 'upstream_error' || e.state === 'proxy_error') && e.error && !diagnosed.has(e.id),
  );
  for (const e of undelivered) {
    const client = sendingClient(e.request.headers).label;
    const status = e.response?.status ?? '---';
    console.log(
      `#${e.id} ${e.request.method} ${exchangeUrl(e.request)} → ${status}  (${client ? `${client}, ` : ''}${clock(e.request.startedAt)})`,
    );
    console.log(
      `  [${t('commands.doctor.severity.error')}] ${t(`commands.doctor.${e.state === 'upstream_error' ? 'undelivered' : 'refused'}`, { error: localized(e.error!, cliLang()) })}`,
    );
    const fix =
      e.state === 'upstream_error' ? 'undeliveredFix' : /points at wirelog itself/.test(e.error!) ? 'loopFix' : null;
    if (fix) console.log(t('commands.doctor.fix', { fix: t(`commands.doctor.${fix}`) }));
  }
  if (groups.length === 0 && damaged.length === 0 && undelivered.length === 0)
    console.log(
      positionals[0]
        ? t('commands.doctor.noProblemsIn', { id: positionals[0] })
        : t('commands.doctor.noProblemsLast', { count: exchanges.length }),
    );
  return errors > 0 || damaged.length > 0 || undelivered.length > 0 ? 1 : 0;
}

/** Exchanges diagnosed a page at a time: a page's SSE events are read in one query and let go after it. */
const DIAGNOSED_PAGE = 500;

/**
 * The exchanges' diagnoses, as llm/stored-calls.ts finds them, reading of each only what its rules
 * look at: the events of the streams that were answered (a page's in one query), a body only when
 * a rule reads it, each once (the parts of packed requests a session's turns share decompressed
 * once per run), and whether a WebSocket came just before a call in one query per host.
 */
function diagnosedAll(
  reader: ExchangeReader,
  exchanges: Exchange[],
  bodies: DecodedBodies,
): { exchange: Exchange; diagnoses: Diagnosis[] }[] {
  const near = webSocketsNear(reader, exchanges);
  const out: { exchange: Exchange; diagnoses: Diagnosis[] }[] = [];
  for (let at = 0; at < exchanges.length; at += DIAGNOSED_PAGE) {
    const page = exchanges.slice(at, at + DIAGNOSED_PAGE);
    const events = reader.pageEvents(
      page
        .filter(eventsLookedAt)
        .map((e) => e.id)
        .sort((a, b) => a - b),
    );
    for (const exchange of page) {
      const evidence = {
        text: (side: BodySide) => bodies.text(exchange, side),
        sseEvents: () => events.get(exchange.id) ?? reader.sseEvents(exchange.id),
      };
      out.push({ exchange, diagnoses: diagnosedFromEvidence(reader, exchange, evidence, near) });
    }
  }
  return out;
}

/** The working calls found so far in one run, by what lastWorkingCall picks by (host, client, API). */
export type WorkingCalls = Map<string, Exchange | null>;

/**
 * For a failed call: how the last call that worked to the same host differs from it. `known`:
 * the failed exchange already read, and the working calls already found for its host, client and
 * API (a relay failing for 500 calls in a row is looked up once, not once per group).
 */
export function differenceFromWorking(
  reader: ExchangeReader,
  id: number,
  known: { failed?: Exchange; working?: WorkingCalls; bodies?: DecodedBodies } = {},
): string | null {
  const failed = known.failed ?? reader.get(id);
  if (!failed || failed.damaged || (failed.response?.status ?? 0) < 400) return null;
  const client = sendingClient(failed.request.headers);
  const key = JSON.stringify([
    failed.request.host,
    client.kind,
    client.label,
    failed.call?.dialect ?? '',
    failed.request.path.split('?')[0],
  ]);
  let working = known.working?.get(key);
  if (working === undefined) {
    working = lastWorkingCall(reader, failed);
    known.working?.set(key, working);
  }
  return working ? differenceLine(failed, working, comparisonOf(reader, failed, working, known.bodies)) : null;
}

function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}
