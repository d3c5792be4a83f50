// `export --har`'s writing in this process, the first MB of a store's HAR: MB/s by the clock and
// by the CPU this process spent (on a shared, loaded machine the second is the one to compare).
// With the CLI's own V8 flags (bin/wirelog.js) unless WIRELOG_V8_DEFAULTS=1; with that and
// --max-semi-space-size=8, as the export's worker runs (export/har-export-thread.ts). On a copy of
// a store, never one wirelog is using:
//   node --max-semi-space-size=1 --import tsx bench/har-export-speed.ts DATA_DIR [MB] [OUT]
// With WIRELOG_HAR_WORKERS=1 or 2, through the export's workers as `export --har` runs them
// (export/har-export-thread.ts; the CPU counted is the whole process's, every thread's).
import fs from 'node:fs';
import v8 from 'node:v8';
import { openDatabase } from '../db/schema.ts';
import { ExchangeReader } from '../db/reader.ts';
import { writeHar } from '../export/har.ts';
import { writeHarOffThread } from '../export/har-export-thread.ts';

if (!process.env.WIRELOG_V8_DEFAULTS) v8.setFlagsFromString('--max-semi-space-size=2 --heap-growing-percent=30');

const [dataDir, mbText = '300', outFile = '/dev/null'] = process.argv.slice(2);
if (!dataDir) throw new Error('usage: bench/har-export-speed.ts DATA_DIR [MB] [OUT]');
const limit = Number(mbText) * 1024 * 1024;

/** Thrown by the writer once `limit` bytes are out: the export stops there. */
class Enough extends Error {}

const reader = new ExchangeReader(openDatabase(dataDir));
const fd = fs.openSync(outFile, 'w');
let bytes = 0;
const started = performance.now();
const cpu = process.cpuUsage();
const write = (chunk: string | Buffer) => {
  const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
  fs.writeSync(fd, buffer);
  bytes += buffer.length;
  if (bytes >= limit) throw new Enough();
};
try {
  if (process.env.WIRELOG_HAR_WORKERS) await writeHarOffThread(reader.file as string, {}, write, 'bench');
  else await writeHar(reader, {}, write, 'bench');
} catch (err) {
  if (!(err instanceof Enough)) throw err;
}
const seconds = (performance.now() - started) / 1000;
const used = process.cpuUsage(cpu);
const cpuSeconds = (used.user + used.system) / 1e6;
fs.closeSync(fd);
const mb = bytes / 1024 / 1024;
console.log(
  `${mb.toFixed(0)} MB in ${seconds.toFixed(1)} s: ${(mb / seconds).toFixed(1)} MB/s by the clock, ` +
    `${(mb / cpuSeconds).toFixed(1)} MB/s of CPU (${cpuSeconds.toFixed(1)} s); ` +
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; load ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`,
);
