// Why wirelog deflates and inflates its small stored rows itself (docs/architecture.md): the
// same 20,000 Codex delta events through wirelog's codec (db/small-deflate.ts,
// db/small-inflate.ts), node:zlib and fflate, each with the preset dictionary, side by side.
//   npx tsx bench/small-codec.ts
import zlib from 'node:zlib';
import { deflateSync, inflateSync } from 'fflate';
import { DICTIONARY_V1 } from '../db/compression.ts';
import { deflateSmall } from '../db/small-deflate.ts';
import { inflateSmall } from '../db/small-inflate.ts';

const dictionary = Buffer.from(DICTIONARY_V1);
const rows = Array.from({ length: 20_000 }, (_, i) =>
  Buffer.from(
    `{"type":"response.output_text.delta","sequence_number":${i},"item_id":"msg_0abc${i % 97}","output_index":0,"content_index":0,"delta":" word${i % 13} and more"}`,
  ),
);

function perRow(f: () => void): string {
  const t = performance.now();
  f();
  return `${(((performance.now() - t) * 1000) / rows.length).toFixed(2)} µs`;
}

let ours: Buffer[] = [];
let theirs: Uint8Array[] = [];
let zlibs: Buffer[] = [];
const lines: string[] = [];
for (let round = 1; round <= 3; round++) {
  const d = [
    perRow(() => (ours = rows.map((r) => deflateSmall(r, dictionary)))),
    perRow(() => (zlibs = rows.map((r) => zlib.deflateRawSync(r, { dictionary })))),
    perRow(() => (theirs = rows.map((r) => deflateSync(r, { level: 6, dictionary })))),
  ];
  const i = [
    perRow(() => ours.forEach((b) => inflateSmall(b, dictionary))),
    perRow(() => ours.forEach((b) => zlib.inflateRawSync(b, { dictionary }))),
    perRow(() => ours.forEach((b) => inflateSync(b, { dictionary }))),
  ];
  lines.push(`| ${round} | ${d.join(' | ')} | ${i.join(' | ')} |`);
}
const bytes = (all: Uint8Array[]) => all.reduce((sum, b) => sum + b.length, 0).toLocaleString('en');
const same =
  ours.every((b, k) => Buffer.from(inflateSync(b, { dictionary })).equals(rows[k])) &&
  theirs.every((b, k) => zlib.inflateRawSync(b, { dictionary }).equals(rows[k]));
console.log(
  '| round | deflate: wirelog | zlib | fflate | inflate: wirelog | zlib | fflate |\n|---|---|---|---|---|---|---|',
);
for (const line of lines) console.log(line);
console.log(
  `\nbytes: wirelog ${bytes(ours)}, zlib ${bytes(zlibs)}, fflate ${bytes(theirs)}; each reads the others': ${same}`,
);
