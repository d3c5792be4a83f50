// The search index on 50,000 exchanges (issue 25): its size and search times with the CJK pairs
// of db/search-text.ts, against the index before schema 11 (FTS5's unicode61 over the raw texts,
// each typed word quoted). The same generated documents go into both, in one database file: a
// Chinese chat (unspaced Chinese runs with English and code among them), headers, a JSON
// answer, and some base64 image data.
//
//   npx tsx bench/search-cjk.ts [--exchanges 50000] [--runs 20]
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { indexedText, searchQuery } from '../db/search-text.ts';
import { tempDir } from '../test/support/harness.ts';

const { values } = parseArgs({
  options: { exchanges: { type: 'string', default: '50000' }, runs: { type: 'string', default: '20' } },
});
const N = Number(values.exchanges);
const RUNS = Number(values.runs);

// A deterministic generator: the same documents on every run.
let seed = 42;
const random = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
const WORDS = [
  '令牌',
  '渠道',
  '额度',
  '余额',
  '分组',
  '模型',
  '请求',
  '响应',
  '中转站',
  '错误',
  '超时',
  '上游',
  '接口',
  '配置',
  '密钥',
  '用户',
  '函数',
  '数组',
  '实现',
  '代码',
  '测试',
  '数据库',
  '缓存',
  '倍率',
  '日志',
  '问题',
  '帮我',
  '一个',
  '这个',
  '怎么',
  '为什么',
  '已经',
  '可以',
  '没有',
];
const CHARS =
  '的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严';
const filler = (n: number) =>
  Array.from({ length: n }, () => (random() < 0.4 ? pick(WORDS) : CHARS[Math.floor(random() * CHARS.length)])).join('');
const ENGLISH =
  'the request failed because the upstream relay returned an error for this model please check the configuration and retry with a smaller max tokens value quicksort function array index'.split(
    ' ',
  );
const english = (n: number) => Array.from({ length: n }, () => pick(ENGLISH)).join(' ');
const BASE64 = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256)).toString('base64');

interface Doc {
  url: string;
  request: string;
  response: string;
}

function doc(i: number): Doc {
  // One in a hundred asks for quicksort in Chinese; one in a thousand carries a rare marker.
  const ask = `${filler(20)}${i % 100 === 0 ? '快速排序' : ''}${filler(30)}，${english(12)}，${filler(25)}`;
  const headers = `Host: relay.example.cn\nContent-Type: application/json\nAuthorization: Bearer sk-****${String(i % 10000).padStart(4, '0')}\nX-Relay-Group: ${pick(['默认分组', 'VIP渠道', '公益站'])}\n`;
  const body = JSON.stringify({
    model: pick(['gpt-4o', 'deepseek-chat', 'qwen-max']),
    messages: [
      { role: 'system', content: english(80) },
      { role: 'user', content: ask },
    ],
    ...(i % 20 === 0 ? { image: `data:image/png;base64,${BASE64}` } : {}),
  });
  const answer = JSON.stringify({
    choices: [
      { message: { role: 'assistant', content: `${filler(60)}。${english(20)}${i % 1000 === 0 ? ' zqxmarker' : ''}` } },
    ],
    usage: { prompt_tokens: 900, completion_tokens: 200 },
  });
  return {
    url: `https://relay.example.cn/v1/chat/completions?n=${i}`,
    request: `${headers}\n${body}`,
    response: `Content-Type: application/json\n\n${answer}`,
  };
}

/** Today's query for the old index: each word quoted (db/reader.ts before schema 11). */
const oldQuery = (text: string) =>
  text
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => `"${w.replace(/"/g, '""')}"`)
    .join(' ');

const dir = tempDir('wirelog-search-bench-');
const db = new Database(path.join(dir, 'bench.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec(`CREATE VIRTUAL TABLE old_index USING fts5 (url, request_body, response_body, content='', contentless_delete=1);
  CREATE VIRTUAL TABLE pairs_index USING fts5 (url, request, response, content='', contentless_delete=1);`);
const insertOld = db.prepare('INSERT INTO old_index (rowid, url, request_body, response_body) VALUES (?, ?, ?, ?)');
const insertNew = db.prepare('INSERT INTO pairs_index (rowid, url, request, response) VALUES (?, ?, ?, ?)');
let textBytes = 0;
let oldMs = 0;
let newMs = 0;
let transformMs = 0;
const BATCH = 500;
for (let from = 1; from <= N; from += BATCH) {
  const docs = Array.from({ length: Math.min(BATCH, N - from + 1) }, (_, k) => doc(from + k));
  for (const d of docs)
    textBytes += Buffer.byteLength(d.url) + Buffer.byteLength(d.request) + Buffer.byteLength(d.response);
  let t = performance.now();
  // The old index had the bodies only (no headers): what it indexed.
  db.transaction(() =>
    docs.forEach((d, k) =>
      insertOld.run(
        from + k,
        d.url,
        d.request.slice(d.request.indexOf('\n\n') + 2),
        d.response.slice(d.response.indexOf('\n\n') + 2),
      ),
    ),
  )();
  oldMs += performance.now() - t;
  t = performance.now();
  const texts = docs.map((d) => [indexedText(d.url), indexedText(d.request), indexedText(d.response)]);
  transformMs += performance.now() - t;
  t = performance.now();
  db.transaction(() => texts.forEach(([u, q, r], k) => insertNew.run(from + k, u, q, r)))();
  newMs += performance.now() - t;
}
for (const table of ['old_index', 'pairs_index']) db.exec(`INSERT INTO ${table} (${table}) VALUES ('optimize')`);

const indexBytes = (table: string) =>
  (db.prepare(`SELECT sum(length(block)) AS n FROM ${table}_data`).get() as { n: number }).n +
  (db.prepare(`SELECT count(*) * 16 AS n FROM ${table}_idx`).get() as { n: number }).n;
const queries = [
  'relay',
  'quicksort',
  'quick*',
  'zqxmarker',
  '令牌',
  '快速排序',
  '速排',
  '令牌 gpt-4o',
  'VIP渠道',
  '令',
];
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(table: string, match: string): { hits: number; p50Ms: number; first100Ms: number } {
  if (!match) return { hits: 0, p50Ms: 0, first100Ms: 0 };
  const all = db.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${table} MATCH ?`);
  // The list's shape: newest 100 of the matches.
  const page = db.prepare(`SELECT rowid FROM ${table} WHERE ${table} MATCH ? ORDER BY rowid DESC LIMIT 100`);
  let hits = 0;
  const times: number[] = [];
  const pages: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let t = performance.now();
    hits = (all.get(match) as { n: number }).n;
    times.push(performance.now() - t);
    t = performance.now();
    page.all(match);
    pages.push(performance.now() - t);
  }
  return { hits, p50Ms: Number(median(times).toFixed(2)), first100Ms: Number(median(pages).toFixed(2)) };
}
const searches = queries.map((q) => ({
  query: q,
  old: timed('old_index', oldQuery(q)),
  pairs: timed('pairs_index', searchQuery(q)),
}));
const sizes = {
  oldMb: Number((indexBytes('old_index') / 1048576).toFixed(1)),
  pairsMb: Number((indexBytes('pairs_index') / 1048576).toFixed(1)),
};
// Schema 11 drops the index before it in one upkeep step (db/retention.ts), pages zeroed as the storage thread deletes.
db.pragma('secure_delete = ON');
const dropAt = performance.now();
db.exec('DROP TABLE old_index');
const dropOldMs = Math.round(performance.now() - dropAt);
const summary = {
  exchanges: N,
  textMb: Number((textBytes / 1048576).toFixed(1)),
  index: sizes,
  dropOldIndexMs: dropOldMs,
  buildS: {
    old: Number((oldMs / 1000).toFixed(1)),
    pairs: Number((newMs / 1000).toFixed(1)),
    pairsTextTransform: Number((transformMs / 1000).toFixed(1)),
  },
  searches,
};
db.close();
fs.rmSync(dir, { recursive: true, force: true });
const { searches: rows, ...figures } = summary;
console.log(JSON.stringify(figures));
console.log('query | old: hits, all ms, newest 100 ms | pairs: hits, all ms, newest 100 ms');
for (const r of rows)
  console.log(
    `${r.query} | ${r.old.hits}, ${r.old.p50Ms}, ${r.old.first100Ms} | ${r.pairs.hits}, ${r.pairs.p50Ms}, ${r.pairs.first100Ms}`,
  );
