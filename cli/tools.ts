// The commands that read the data dir without capturing: env, ca, list, export.
import fs from 'node:fs';
import { once } from 'node:events';
import { loadOrCreateCa, regenerateCa } from '../certs/ca.ts';
import { leafSpkiHash } from '../certs/leaf.ts';
import { trustInstructions, writeTrustBundle } from '../certs/trust.ts';
import { ExchangeReader } from '../db/reader.ts';
import { DatabaseOpenError, databasePath, openDatabase } from '../db/schema.ts';
import { skippedLine, writeHar } from '../export/har.ts';
import { summarize } from '../model/summary.ts';
import { UsageError, dataDirFrom, parseFlags } from './args.ts';
import { findInstance, prepareDataDir } from './instance.ts';
import { writeClientFiles } from './client-files.ts';
import { otlpConfig } from './otlp-config.ts';
import { launchEnv, renderEnv, type Shell } from './launch-env.ts';
import { gatewayBase, gatewayUrl } from './gateway-url.ts';
import { chromiumFlags } from './chromium.ts';
import { VERSION } from './version.ts';

const DATA_DIR = { 'data-dir': { type: 'string' } } as const;

export const ENV_HELP = `wirelog env [--shell bash|zsh|fish|powershell] [--proxy-port N] [--data-dir DIR]
Prints the variables that send programs through wirelog: eval "$(wirelog env)"`;

export async function envCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('env', args, { ...DATA_DIR, shell: { type: 'string' }, 'proxy-port': { type: 'string' } });
  const shell = (values.shell ?? 'bash') as Shell;
  if (!['bash', 'zsh', 'fish', 'powershell'].includes(shell)) throw new UsageError(`--shell must be bash, zsh, fish or powershell, not "${values.shell}"`);
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  const running = await findInstance(dataDir);
  const port = values['proxy-port'] ?? String(running?.proxyPort ?? 8899);
  const ca = loadOrCreateCa(dataDir);
  const bundle = writeTrustBundle(ca);
  console.log(renderEnv(launchEnv(running && !values['proxy-port'] ? running.proxyUrl : `http://127.0.0.1:${port}`, ca.files.certPath, bundle, writeClientFiles(dataDir, bundle)), shell));
  if (!running) console.error(`wirelog: no wirelog is running on ${dataDir} yet: start it with \`npm start\` or \`wirelog start\``);
  return 0;
}

export const URL_HELP = `wirelog url BASE_URL [--proxy-port N] [--data-dir DIR]
Prints the gateway form of a client's base URL: set it as the client's base URL, and its calls are captured with no proxy setting and no CA.
  wirelog url https://openrouter.ai/api/v1   ->   http://127.0.0.1:8899/https/openrouter.ai/api/v1`;

export async function urlCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseFlags('url', args, { ...DATA_DIR, 'proxy-port': { type: 'string' } }, true);
  if (positionals.length !== 1) throw new UsageError('wirelog url needs one base URL, such as https://openrouter.ai/api/v1');
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  const running = await findInstance(dataDir);
  const port = values['proxy-port'] ? Number(values['proxy-port']) : (running?.proxyPort ?? 8899);
  const host = running && !values['proxy-port'] ? new URL(running.proxyUrl).hostname.replace(/^\[|\]$/g, '') : '127.0.0.1';
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  console.log(gatewayUrl(positionals[0], gatewayBase(host, port, loopback ? null : 'TOKEN')));
  if (!loopback) console.error('wirelog: this wirelog listens beyond loopback: replace TOKEN with the gateway token it printed at start');
  if (!running) console.error(`wirelog: no wirelog is running on ${dataDir} yet: start it with \`npm start\` or \`wirelog start\``);
  return 0;
}

export const CA_HELP = `wirelog ca [--pem] [--regenerate] [--data-dir DIR]: where the CA is, its fingerprint, and how to trust it
  --regenerate   replace the CA with a new one (trust the new one; the old one stops working)`;

export async function caCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('ca', args, { ...DATA_DIR, pem: { type: 'boolean' }, regenerate: { type: 'boolean' } });
  const dataDir = dataDirFrom(values);
  prepareDataDir(dataDir);
  if (values.regenerate) {
    const running = await findInstance(dataDir);
    if (running) throw new UsageError(`wirelog is running on ${dataDir} (pid ${running.pid}) with the current CA: stop it, then regenerate`);
  }
  const ca = values.regenerate ? regenerateCa(dataDir) : loadOrCreateCa(dataDir);
  if (values.regenerate) console.error(`wirelog: a new CA replaces the old one; remove the old one from trust stores, and trust this one:`);
  if (values.pem) {
    process.stdout.write(ca.certPem);
    return 0;
  }
  const running = await findInstance(dataDir);
  console.log(`wirelog CA certificate: ${ca.files.certPath}
SHA-256 fingerprint:    ${ca.fingerprint}
Valid until:            ${ca.notAfter.toISOString()}
Leaf key SPKI (for --ignore-certificate-errors-spki-list): ${leafSpkiHash(ca)}
Chromium/Electron apps take flags, not the CA: ${chromiumFlags(running?.proxyUrl ?? 'http://127.0.0.1:8899', leafSpkiHash(ca)).join(' ')}
  (wirelog run -- chromium ... adds them itself; --chromium for an Electron app)
The private key stays in ${ca.files.dir} (owner-only) and never leaves it.

${trustInstructions(ca.files.certPath)}`);
  return 0;
}

function openReader(dataDir: string): ExchangeReader {
  prepareDataDir(dataDir);
  if (!fs.existsSync(databasePath(dataDir))) throw new DatabaseOpenError(`no captures in ${dataDir} yet: start wirelog (npm start) and send traffic through it, or pass the right --data-dir`);
  return new ExchangeReader(openDatabase(dataDir));
}

export const LIST_HELP = `wirelog list [--json] [--limit N] [--data-dir DIR]: recent exchanges, newest first`;

export function listCommand(args: string[]): number {
  const { values } = parseFlags('list', args, { ...DATA_DIR, json: { type: 'boolean' }, limit: { type: 'string' } });
  const limit = values.limit === undefined ? 50 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit must be a whole number of exchanges, not "${values.limit}"`);
  const summaries = openReader(dataDirFrom(values)).list({ limit }).map(summarize);
  if (values.json) {
    console.log(JSON.stringify(summaries, null, 2));
    return 0;
  }
  for (const s of summaries.reverse()) {
    const time = new Date(s.startedAt).toISOString().replace('T', ' ').slice(0, 23);
    const status = s.status === null ? '---' : String(s.status);
    const duration = s.durationMs === null ? '' : `${Math.round(s.durationMs)}ms`;
    const state = s.state === 'complete' ? '' : ` [${s.state}${s.error ? `: ${s.error}` : ''}]`;
    const damaged = s.damaged ? ` [damaged: ${s.damaged.join('; ')}]` : '';
    console.log(`${String(s.id).padStart(6)} ${time} ${s.method.padEnd(7)} ${status} ${s.url} ${duration} ${formatSize(s.responseSize)}${state}${damaged}`);
  }
  const damagedCount = summaries.filter((s) => s.damaged).length;
  if (damagedCount) console.error(`wirelog: ${damagedCount} of these row(s) are damaged in the database: shown with what could be read`);
  if (summaries.length === 0) console.error('wirelog: no exchanges stored yet');
  return 0;
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}KB`;
  return `${(bytes / 1048576).toFixed(1)}MB`;
}

export const EXPORT_HELP = `wirelog export --har FILE [--since ISO] [--host H] [--data-dir DIR]: write captures as HAR 1.2 ("-" for stdout)
wirelog export --otlp [--otlp-endpoint URL] [--otlp-content] [--since ISO] [--host H]: send them as OpenTelemetry spans
  (to --otlp-endpoint, else OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)`;

export async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('export', args, {
    ...DATA_DIR,
    har: { type: 'string' },
    otlp: { type: 'boolean' },
    'otlp-endpoint': { type: 'string' },
    'otlp-content': { type: 'boolean' },
    since: { type: 'string' },
    host: { type: 'string' },
  });
  if (!values.har && !values.otlp) throw new UsageError('wirelog export needs --har FILE (or --har - for standard output), or --otlp');
  const since = values.since === undefined ? undefined : Date.parse(values.since);
  if (since !== undefined && Number.isNaN(since)) throw new UsageError(`--since must be an ISO date such as 2026-11-24T10:00:00Z, not "${values.since}"`);
  const reader = openReader(dataDirFrom(values));
  if (values.otlp) {
    const config = otlpConfig(values['otlp-endpoint'], values['otlp-content'] ?? false);
    if (!config) throw new UsageError('wirelog export --otlp needs --otlp-endpoint URL (or OTEL_EXPORTER_OTLP_ENDPOINT)');
    // The OpenTelemetry SDK (about 10 MB) is loaded only by the command that sends with it.
    const { exportOtlp } = await import('./export-otlp.ts');
    const { sent, failed } = await exportOtlp(reader, config, since, values.host, (line) => console.error(line));
    console.error(failed ? `wirelog: ${failed} of ${sent} span(s) were refused by the collector` : `wirelog: sent ${sent} exchange(s) as spans`);
    return failed ? 1 : 0;
  }
  if (!values.har) return 0;
  const out = values.har === '-' ? process.stdout : fs.createWriteStream(values.har, { mode: 0o600 });
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const written = await writeHar(reader, { since, host: values.host }, write, VERSION);
  if (out !== process.stdout) {
    out.end();
    await once(out, 'finish');
    console.error(`wirelog: wrote ${written.entries} exchange(s) to ${values.har}`);
  }
  const skipped = skippedLine(written);
  if (skipped) console.error(`wirelog: ${skipped}`);
  return 0;
}
