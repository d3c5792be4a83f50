// A database as wirelog's schema 10 left it, for tests of the upgrade to the search index of
// schema 11: rows written as that wirelog wrote them (understood: a diagnosis), each in its
// search index (FTS5's unicode61 over the raw texts), no to_index column.
import { openDatabase } from '../../db/schema.ts';

/**
 * Exchange i's request asks, in unspaced Chinese, about channel i's token (渠道, 令牌), with an English marker: marker{i}.
 * `padding`: words added to each request's message, so that indexing one row takes a slice's whole time.
 */
export function schema10(dir: string, count: number, padding = 0): void {
  const db = openDatabase(dir, 10);
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, status, status_text, state,
    request_size, request_stored, diagnosis_severity, diagnosis) VALUES (?, 1, '127.0.0.1:1', 'POST', 'https', 'relay.example', 443, ?, '1.1', ?, 200, 'OK', 'complete', ?, ?, 'warning', 'understood then')`);
  const body = db.prepare(`INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, 'request', 0, ?)`);
  const oldIndex = db.prepare(
    'INSERT INTO exchanges_fts (rowid, url, request_body, response_body) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 1; i <= count; i++) {
      const text = Buffer.from(
        JSON.stringify({
          model: 'gpt-made',
          messages: [
            {
              role: 'user',
              content: `请检查第${i}号渠道的令牌 marker${i}${Array.from({ length: padding }, (_, k) => ` w${k}`).join('')}`,
            },
          ],
        }),
      );
      const id = Number(
        insert.run(
          `old-${i}`,
          `/v1/chat/completions?n=${i}`,
          JSON.stringify([
            ['Host', 'relay.example'],
            ['Content-Type', 'application/json'],
          ]),
          text.length,
          text.length,
        ).lastInsertRowid,
      );
      body.run(id, text);
      oldIndex.run(id, `https://relay.example/v1/chat/completions?n=${i}`, text.toString(), '');
    }
  })();
  // Schema 10 had read the index before it into its own and dropped it.
  db.exec('DROP TABLE exchanges_fts_old');
  db.close();
}
