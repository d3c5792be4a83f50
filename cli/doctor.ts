import fs from 'node:fs';
import { diagnosesOf, modelCallOf } from '../llm/stored-calls.ts';
import { comparisonOf, lastWorkingCall } from '../db/compare.ts';
import { ExchangeReader } from '../db/reader.ts';
import { differenceLine } from '../model/compare.ts';
import { DatabaseOpenError, databasePath, openDatabase } from '../db/schema.ts';
import { groupDiagnoses, idRange } from '../llm/doctor-groups.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { prepareDataDir } from './instance.ts';
import { cliLang } from './language.ts';

export const DOCTOR_HELP = `wirelog doctor [--last N | ID] [--json] [--data-dir DIR]: what went wrong in recent exchanges, and the fix
The same diagnosis of the same client and URL is one entry (a client that retried). --json: one object per entry.
Exit code 1 when any diagnosis is an error.`;

export function doctorCommand(args: string[]): number {
  const { values, positionals } = parseFlags('doctor', args, { 'data-dir': { type: 'string' }, last: { type: 'string' }, json: { type: 'boolean' } }, true);
  const last = values.last === undefined ? 20 : Number(values.last);
  if (!Number.isInteger(last) || last < 1) throw new UsageError(`--last must be a whole number of exchanges, not "${values.last}"`);
  if (positionals.length > 1 || (positionals[0] !== undefined && !/^\d+$/.test(positionals[0]))) throw new UsageError('wirelog doctor takes one exchange id (a number), or --last N');
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  if (!fs.existsSync(databasePath(dataDir))) throw new DatabaseOpenError(`no captures in ${dataDir} yet: start wirelog and send traffic through it, or pass the right --data-dir`);
  const reader = new ExchangeReader(openDatabase(dataDir));
  const read = positionals[0] ? [reader.get(Number(positionals[0]))].filter((e) => e !== null) : reader.list({ limit: last });
  if (positionals[0] && read.length === 0) throw new UsageError(`no exchange ${positionals[0]} in ${dataDir} (see \`wirelog list\`)`);
  // A damaged row is named, not diagnosed: what was read in place of its damaged columns would give a wrong diagnosis.
  const damaged = read.filter((e) => e.damaged);
  const exchanges = read.filter((e) => !e.damaged);
  for (const e of damaged) console.error(`wirelog: exchange #${e.id} is damaged in the database, not diagnosed: ${e.damaged!.join('; ')}`);
  const groups = groupDiagnoses(exchanges.map((exchange) => ({ exchange, diagnoses: diagnosesOf(reader, exchange, modelCallOf(reader, exchange), undefined, cliLang()) }))).map((g) => ({ ...g, difference: differenceFromWorking(reader, g.ids[g.ids.length - 1]) }));
  const errors = groups.filter((g) => g.diagnoses.some((d) => d.severity === 'error')).length;
  if (values.json) {
    console.log(JSON.stringify(groups.map((g) => ({ ...g, first: new Date(g.first).toISOString(), last: new Date(g.last).toISOString() })), null, 2));
    return errors > 0 || damaged.length > 0 ? 1 : 0;
  }
  for (const g of groups) {
    const when = g.ids.length === 1 ? clock(g.first) : `${g.ids.length} tries, ${clock(g.first)}-${clock(g.last)}`;
    console.log(`${idRange(g.ids)} ${g.method} ${g.url} → ${g.status}  (${g.client ? `${g.client}, ` : ''}${when})`);
    for (const d of g.diagnoses) {
      console.log(`  [${d.severity}] ${d.summary}`);
      console.log(`  fix: ${d.fix}`);
    }
    if (g.difference) console.log(`  compared: ${g.difference}`);
  }
  for (const e of damaged) console.log(`#${e.id} damaged in the database: ${e.damaged!.join('; ')}\n  fix: the file was changed by something other than wirelog (a disk error, another program); what could be read is shown in the viewer, and export leaves it out`);
  if (groups.length === 0 && damaged.length === 0) console.log(`No problems found in ${positionals[0] ? `exchange ${positionals[0]}` : `the last ${exchanges.length} exchange(s)`}.`);
  return errors > 0 || damaged.length > 0 ? 1 : 0;
}

/** For a failed call: how the last call that worked to the same host differs from it. */
function differenceFromWorking(reader: ExchangeReader, id: number): string | null {
  const failed = reader.get(id);
  if (!failed || failed.damaged || (failed.response?.status ?? 0) < 400) return null;
  const working = lastWorkingCall(reader, failed);
  return working ? differenceLine(failed, working, comparisonOf(reader, failed, working)) : null;
}

function clock(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(11, 19);
}
