import fs from 'node:fs';
import { diagnosesOf, modelCallOf } from '../db/model-calls.ts';
import { ExchangeReader } from '../db/reader.ts';
import { DatabaseOpenError, databasePath, openDatabase } from '../db/schema.ts';
import { exchangeUrl } from '../model/exchange.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { prepareDataDir } from './instance.ts';

export const DOCTOR_HELP = `wirelog doctor [--last N | ID] [--data-dir DIR]: what went wrong in recent exchanges, and the fix
Exit code 1 when any diagnosis is an error.`;

export function doctorCommand(args: string[]): number {
  const { values, positionals } = parseFlags('doctor', args, { 'data-dir': { type: 'string' }, last: { type: 'string' } }, true);
  const last = values.last === undefined ? 20 : Number(values.last);
  if (!Number.isInteger(last) || last < 1) throw new UsageError(`--last must be a whole number of exchanges, not "${values.last}"`);
  if (positionals.length > 1 || (positionals[0] !== undefined && !/^\d+$/.test(positionals[0]))) throw new UsageError('wirelog doctor takes one exchange id (a number), or --last N');
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  if (!fs.existsSync(databasePath(dataDir))) throw new DatabaseOpenError(`no captures in ${dataDir} yet: start wirelog and send traffic through it, or pass the right --data-dir`);
  const reader = new ExchangeReader(openDatabase(dataDir));
  const exchanges = positionals[0] ? [reader.get(Number(positionals[0]))].filter((e) => e !== null) : reader.list({ limit: last });
  if (positionals[0] && exchanges.length === 0) throw new UsageError(`no exchange ${positionals[0]} in ${dataDir} (see \`wirelog list\`)`);
  let errors = 0;
  let found = 0;
  for (const exchange of exchanges) {
    const diagnoses = diagnosesOf(reader, exchange, modelCallOf(reader, exchange));
    if (diagnoses.length === 0) continue;
    found++;
    console.log(`#${exchange.id} ${exchange.request.method} ${exchangeUrl(exchange.request)} → ${exchange.response?.status ?? exchange.state}`);
    for (const d of diagnoses) {
      if (d.severity === 'error') errors++;
      console.log(`  [${d.severity}] ${d.summary}`);
      console.log(`  fix: ${d.fix}`);
    }
  }
  if (found === 0) console.log(`No problems found in ${positionals[0] ? `exchange ${positionals[0]}` : `the last ${exchanges.length} exchange(s)`}.`);
  return errors > 0 ? 1 : 0;
}
