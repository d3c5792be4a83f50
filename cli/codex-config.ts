import fs from 'node:fs';
import { CodexConfigError, codexConfig } from '../llm/codex-config.ts';
import { modelCallOf } from '../db/model-calls.ts';
import { ExchangeReader } from '../db/reader.ts';
import { DatabaseOpenError, databasePath, openDatabase } from '../db/schema.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { prepareDataDir } from './instance.ts';

export const CODEX_CONFIG_HELP = `wirelog codex-config ID [--data-dir DIR]: a Codex [model_providers] block that reproduces a call that worked`;

export function codexConfigCommand(args: string[]): number {
  const { values, positionals } = parseFlags('codex-config', args, { 'data-dir': { type: 'string' } }, true);
  if (positionals.length !== 1 || !/^\d+$/.test(positionals[0])) throw new UsageError('wirelog codex-config needs the id of a captured call that worked (see `wirelog list`)');
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  if (!fs.existsSync(databasePath(dataDir))) throw new DatabaseOpenError(`no captures in ${dataDir} yet: start wirelog and send traffic through it, or pass the right --data-dir`);
  const reader = new ExchangeReader(openDatabase(dataDir));
  const exchange = reader.get(Number(positionals[0]));
  if (!exchange) throw new UsageError(`no exchange ${positionals[0]} in ${dataDir} (see \`wirelog list\`)`);
  try {
    const config = codexConfig(exchange, modelCallOf(reader, exchange));
    console.log(`# in ~/.codex/config.toml\n${config.toml}\n`);
    for (const note of config.notes) console.log(`# ${note}`);
    return 0;
  } catch (err) {
    if (err instanceof CodexConfigError) throw new UsageError(err.message);
    throw err;
  }
}
