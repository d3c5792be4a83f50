import fs from 'node:fs';
import { CodexConfigError, codexConfig } from '../llm/codex-provider-block.ts';
import { gatewayOfReplayed } from '../llm/working-config.ts';
import { modelCallOf } from '../llm/stored-calls.ts';
import { ExchangeReader } from '../db/reader.ts';
import { DatabaseOpenError, databasePath, openDatabase } from '../db/schema.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { gatewayBase } from './gateway-url.ts';
import { findInstance, prepareDataDir } from './instance.ts';
import { cliLang, t } from './language.ts';
import { localized } from '../i18n/stored-text.ts';

export const codexConfigHelp = () => t('commands.codexConfig.help');

export async function codexConfigCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags(
    'codex-config',
    args,
    { 'data-dir': { type: 'string' }, gateway: { type: 'boolean' } },
    true,
  );
  if (positionals.length !== 1 || !/^\d+$/.test(positionals[0]))
    throw new UsageError(t('commands.codexConfig.needsId'));
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  if (!fs.existsSync(databasePath(dataDir))) throw new DatabaseOpenError(t('commands.dataDir.noCaptures', { dataDir }));
  const reader = new ExchangeReader(openDatabase(dataDir));
  const exchange = reader.get(Number(positionals[0]));
  if (!exchange) throw new UsageError(t('commands.dataDir.noExchange', { id: positionals[0], dataDir }));
  try {
    const running = values.gateway ? await findInstance(dataDir) : null;
    const gateway = values.gateway
      ? gatewayBase(
          running ? new URL(running.proxyUrl).hostname.replace(/^\[|\]$/g, '') : '127.0.0.1',
          running?.proxyPort ?? 8899,
          null,
        )
      : undefined;
    // A replay goes out through wirelog's gateway but is stored as a proxy call: it keeps the form of the call it replays.
    const config = codexConfig(
      exchange,
      modelCallOf(reader, exchange),
      gateway ?? gatewayOfReplayed(exchange, (id) => reader.get(id)),
    );
    console.log(`# ${t('commands.codexConfig.header')}\n${config.toml}\n`);
    for (const note of config.notes) console.log(`# ${localized(note, cliLang())}`);
    return 0;
  } catch (err) {
    if (err instanceof CodexConfigError) {
      const { kind, id, status } = err.reason;
      throw new UsageError(
        kind === 'failed'
          ? t('commands.codexConfig.failed', { id, status })
          : t('commands.codexConfig.notAModelCall', { id }),
      );
    }
    throw err;
  }
}
