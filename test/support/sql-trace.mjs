// Loaded with `node --import` into a wirelog process (and, through execArgv, its worker threads):
// every SQL statement it runs is written, once, with SQLite's query plan, as a JSON line to the
// file WIRELOG_SQL_TRACE names. Tests read it to see what a command reads (no timings involved):
// a plan line `SCAN exchanges` is a pass over every stored exchange.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { threadId } from 'node:worker_threads';

const file = process.env.WIRELOG_SQL_TRACE;
if (file) {
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const seen = new Set();
  const prepare = Database.prototype.prepare;
  const exec = Database.prototype.exec;
  const write = (db, sql, how, args = []) => {
    const key = `${how}\0${sql}`;
    if (seen.has(key)) return;
    seen.add(key);
    let plan = [];
    // Only a single statement has a plan (exec runs scripts: migrations, pragmas).
    if (how !== 'exec') {
      try {
        plan = prepare
          .call(db, `EXPLAIN QUERY PLAN ${sql}`)
          .all(...args)
          .map((r) => r.detail);
      } catch {
        plan = ['(no plan)'];
      }
    }
    fs.appendFileSync(file, `${JSON.stringify({ thread: threadId, how, sql, plan })}\n`);
  };
  Database.prototype.prepare = function (sql, ...rest) {
    const statement = prepare.call(this, sql, ...rest);
    const db = this;
    for (const method of ['run', 'get', 'all', 'iterate']) {
      const original = statement[method];
      statement[method] = function (...args) {
        write(db, sql, 'run', args);
        return original.apply(this, args);
      };
    }
    return statement;
  };
  Database.prototype.exec = function (sql) {
    write(this, sql, 'exec');
    return exec.call(this, sql);
  };
}
