// The commands that read the data dir without capturing: env, ca, list, export.
import fs from 'node:fs';
import { once } from 'node:events';
import { loadOrCreateCa, regenerateCa } from '../certs/ca.ts';
import { leafSpkiHash } from '../certs/leaf.ts';
import {
  storeInstructions,
  trustInstructions,
  writeTrustBundle,
  type StoreWords,
  type TrustWords,
} from '../certs/trust.ts';
import { caInstall } from './ca-install.ts';
import { ExchangeReader } from '../db/reader.ts';
import { DatabaseOpenError, databasePath, openDatabase } from '../db/schema.ts';
import { type HarWritten, skippedLine, writeHar } from '../export/har.ts';
import { HarExportError, writeHarOffThread } from '../export/har-export-thread.ts';
import { summarize } from '../model/summary.ts';
import { UsageError, dataDirFrom, parseFlags, port as portFlag } from './args.ts';
import { findInstance, prepareDataDir } from './instance.ts';
import { writeClientFiles } from './client-files.ts';
import { otlpConfig } from './otlp-config.ts';
import { launchEnv, renderEnv, type Shell } from './launch-env.ts';
import { baseUrlMistake, gatewayBase, gatewayUrl, upstreamOfGateway } from './gateway-url.ts';
import { chromiumFlags } from './chromium.ts';
import { VERSION } from './version.ts';
import { cliLang, t } from './language.ts';
import { localized } from '../i18n/stored-text.ts';
import { listTable } from './list-table.ts';
import { SHELLS, detectShell } from './shell.ts';

const DATA_DIR = { 'data-dir': { type: 'string' } } as const;

export const envHelp = () => t('commands.env.help');

export async function envCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('env', args, {
    ...DATA_DIR,
    shell: { type: 'string' },
    'proxy-port': { type: 'string' },
  });
  const shell = (values.shell ?? detectShell()) as Shell;
  if (!SHELLS.includes(shell)) throw new UsageError(t('commands.env.badShell', { value: values.shell }));
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  const running = await findInstance(dataDir);
  const port = String(portFlag(values['proxy-port'], running?.proxyPort ?? 8899, '--proxy-port'));
  const ca = loadOrCreateCa(dataDir);
  const bundle = writeTrustBundle(ca);
  console.log(
    renderEnv(
      launchEnv(
        running && !values['proxy-port'] ? running.proxyUrl : `http://127.0.0.1:${port}`,
        ca.files.certPath,
        bundle,
        writeClientFiles(dataDir, bundle),
      ),
      shell,
    ),
  );
  if (!running) console.error(`wirelog: ${t('commands.dataDir.notRunning', { dataDir })}`);
  return 0;
}

export const urlHelp = () => t('commands.url.help');

export async function urlCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('url', args, { ...DATA_DIR, 'proxy-port': { type: 'string' } }, true);
  if (positionals.length !== 1) throw new UsageError(t('commands.url.needsOne'));
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  const running = await findInstance(dataDir);
  const port = portFlag(values['proxy-port'], running?.proxyPort ?? 8899, '--proxy-port');
  const host =
    running && !values['proxy-port'] ? new URL(running.proxyUrl).hostname.replace(/^\[|\]$/g, '') : '127.0.0.1';
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  // Already a gateway URL: the gateway form of the upstream it names, not a gateway through the gateway (a loop).
  const upstream = upstreamOfGateway(positionals[0]);
  const base = gatewayBase(host, port, loopback ? null : 'TOKEN');
  const gateway = gatewayUrl(upstream ?? positionals[0], base);
  console.log(gateway);
  if (upstream)
    console.error(`wirelog: ${t('commands.url.alreadyGateway', { value: positionals[0].trim(), upstream })}`);
  // The address as given is printed above (a curl may want it whole); a base URL that a client would extend into a 404 is said.
  const mistake = baseUrlMistake(upstream ?? positionals[0]);
  if (mistake)
    console.error(
      `wirelog: ${t(`commands.url.${mistake.kind}`, {
        value: upstream ?? positionals[0].trim(),
        segment: mistake.segment,
        fixed: mistake.fixed,
        gateway: gatewayUrl(mistake.fixed, base),
      })}${
        // Cherry Studio's OpenAI type takes the whole chat address, used as typed when it ends in # (README).
        mistake.kind === 'endpoint' && mistake.segment.toLowerCase() === '/chat/completions'
          ? t('commands.url.cherry', { cherry: `${gateway.replace(/\/$/, '')}#` })
          : ''
      }`,
    );
  if (!loopback) console.error(`wirelog: ${t('commands.url.token')}`);
  if (!running) console.error(`wirelog: ${t('commands.dataDir.notRunning', { dataDir })}`);
  return 0;
}

export const caHelp = () => t('trust.help');

export async function caCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('ca', args, {
    ...DATA_DIR,
    pem: { type: 'boolean' },
    regenerate: { type: 'boolean' },
    install: { type: 'boolean' },
    uninstall: { type: 'boolean' },
    nss: { type: 'boolean' },
    java: { type: 'boolean' },
  });
  if (values.install && values.uninstall) throw new UsageError(t('trust.conflict'));
  if ((values.nss || values.java) && !values.install && !values.uninstall) throw new UsageError(t('trust.needsAction'));
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  if (values.regenerate) {
    const running = await findInstance(dataDir);
    if (running) throw new UsageError(t('commands.ca.running', { dataDir, pid: running.pid }));
  }
  const ca = values.regenerate ? regenerateCa(dataDir) : loadOrCreateCa(dataDir);
  if (values.regenerate) console.error(`wirelog: ${t('commands.ca.replaced')}`);
  if (values.pem) {
    process.stdout.write(ca.certPem);
    return 0;
  }
  if (values.install || values.uninstall)
    return caInstall(values.install ? 'install' : 'uninstall', ca.files.certPath, {
      nss: !!values.nss,
      java: !!values.java,
    });
  const running = await findInstance(dataDir);
  const spki = leafSpkiHash(ca);
  const info = t('commands.ca.info', {
    path: ca.files.certPath,
    fingerprint: ca.fingerprint,
    notAfter: ca.notAfter.toISOString(),
    spki,
    chromiumFlags: chromiumFlags(running?.proxyUrl ?? 'http://127.0.0.1:8899', spki).join(' '),
    dir: ca.files.dir,
  });
  const trust = trustInstructions(
    ca.files.certPath,
    undefined,
    t('commands.ca.trust', { returnObjects: true }) as TrustWords,
  );
  const stores = storeInstructions(ca.files.certPath, t('trust.stores', { returnObjects: true }) as StoreWords);
  console.log(`${info}\n\n${trust}\n\n${stores}`);
  return 0;
}

function openReader(dataDir: string): ExchangeReader {
  prepareDataDir(dataDir);
  if (!fs.existsSync(databasePath(dataDir))) throw new DatabaseOpenError(t('commands.dataDir.noCaptures', { dataDir }));
  return new ExchangeReader(openDatabase(dataDir));
}

export const listHelp = () => `${t('commands.list.help')}\n${t('searchScale.cli.help')}`;

export function listCommand(args: string[]): number {
  const { values } = parseFlags('list', args, {
    ...DATA_DIR,
    json: { type: 'boolean' },
    limit: { type: 'string' },
    search: { type: 'string' },
  });
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(t('commands.flags.wholeNumber', { flag: '--limit', value: values.limit }));
  // Newest first, as the reader gives them; --search as the viewer's search box (db/part-search.ts).
  const reader = openReader(dataDirFrom(values));
  const text = values.search?.trim() ? values.search : undefined;
  const summaries = reader.list({ limit, text }).map(summarize);
  if (values.json) {
    console.log(JSON.stringify(summaries, null, 2));
    return 0;
  }
  if (summaries.length === 0) {
    console.error(`wirelog: ${t('commands.list.none')}`);
    return 0;
  }
  // A terminal's width; a pipe gets every line whole.
  const width = process.stdout.isTTY ? process.stdout.columns || 80 : null;
  // A stored error is the catalogue's English sentence (i18n/stored-text.ts): shown in the CLI's language.
  const shown = summaries.map((s) => (s.error ? { ...s, error: localized(s.error, cliLang()) } : s));
  console.log(listTable(shown, width, t).join('\n'));
  const damagedCount = summaries.filter((s) => s.damaged).length;
  if (damagedCount) console.error(`wirelog: ${t('commands.list.damagedRows', { count: damagedCount })}`);
  if (text) {
    // Counted up to the cap as the viewer's is: "10,000+" when more match.
    const matches = reader.countUpTo({ text });
    const count = matches.count.toLocaleString('en-US');
    const formatted = matches.atLeast ? t('searchScale.atLeast', { count }) : count;
    console.error(`wirelog: ${t('searchScale.cli.matches', { count: matches.count, formatted, search: text })}`);
  }
  return 0;
}

export const exportHelp = () => `${t('commands.export.help')}\n${t('sessionExport.cli.help')}`;

export async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('export', args, {
    ...DATA_DIR,
    har: { type: 'string' },
    otlp: { type: 'boolean' },
    'otlp-endpoint': { type: 'string' },
    'otlp-content': { type: 'boolean' },
    since: { type: 'string' },
    host: { type: 'string' },
    html: { type: 'string' },
    markdown: { type: 'string' },
    session: { type: 'string' },
  });
  if (!values.har && !values.otlp && !values.html && !values.markdown)
    throw new UsageError(t('sessionExport.cli.needsTarget'));
  // --session picks what --html, --markdown and --har write; --otlp sends everything.
  if (values.session !== undefined && !values.har && !values.html && !values.markdown)
    throw new UsageError(t('sessionExport.cli.sessionAlone'));
  const since = values.since === undefined ? undefined : Date.parse(values.since);
  if (since !== undefined && Number.isNaN(since))
    throw new UsageError(t('commands.export.since', { value: values.since }));
  const reader = openReader(dataDirFrom(values));
  // One session as an HTML page or a Markdown transcript (issue 27); --session also narrows --har to it.
  const { exportSessionCommand, sessionKeyOrRefuse } = await import('./export-session.ts');
  if (values.html || values.markdown) await exportSessionCommand(reader, values);
  const thread = values.session === undefined ? undefined : sessionKeyOrRefuse(reader, values.session);
  if (values.otlp) {
    const config = otlpConfig(values['otlp-endpoint'], values['otlp-content'] ?? false);
    if (!config) throw new UsageError(t('commands.export.otlpNeedsEndpoint'));
    // The OpenTelemetry SDK (about 10 MB) is loaded only by the command that sends with it.
    const { exportOtlp } = await import('./export-otlp.ts');
    const { sent, failed } = await exportOtlp(reader, config, since, values.host, (line) => console.error(line));
    console.error(
      `wirelog: ${failed ? t('commands.export.spansRefused', { failed, sent }) : t('commands.export.spansSent', { sent })}`,
    );
    return failed ? 1 : 0;
  }
  if (!values.har) return 0;
  const out = values.har === '-' ? process.stdout : fs.createWriteStream(values.har, { mode: 0o600 });
  // Settled once the chunk is written out, not while the stream still holds it: its memory then goes
  // back to the worker that filled it (HarThreadOptions.writesOut), and one chunk is written at a time.
  const write = (chunk: string | Buffer) =>
    new Promise<void>((resolve, reject) => out.write(chunk, (err) => (err ? reject(err) : resolve())));
  const filter = { since, host: values.host, thread };
  // A database file is exported on threads of their own (two where there are two cores, one with WIRELOG_HAR_WORKERS=1), with V8 set for throughput (export/har-export-thread.ts).
  let written: HarWritten;
  try {
    written = reader.file
      ? await writeHarOffThread(reader.file, filter, write, VERSION, { writesOut: true })
      : await writeHar(reader, filter, write, VERSION);
  } catch (err) {
    if (!(err instanceof HarExportError)) throw err;
    const file = values.har === '-' ? 'stdout' : values.har;
    const said =
      err.reason === null
        ? t('harExport.stopped', { code: err.exitCode ?? '?', file })
        : t('harExport.failed', { reason: err.reason, file });
    console.error(`wirelog: ${said}`);
    return 1;
  }
  if (out !== process.stdout) {
    out.end();
    await once(out, 'finish');
    console.error(`wirelog: ${t('commands.export.wrote', { count: written.entries, file: values.har })}`);
  }
  const skipped = skippedLine(written);
  if (skipped) console.error(`wirelog: ${localized(skipped, cliLang())}`);
  return 0;
}
