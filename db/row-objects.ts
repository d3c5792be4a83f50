// A statement's rows as objects, read as arrays and named here: better-sqlite3 names each column
// of each row in C++ one property at a time, which for the exchanges table's 50 columns cost more
// than reading the rows (a million-store page of 50 rows, `SELECT *`: 1.07-1.13 s per 100,000
// rows as objects, 0.47 as arrays, 0.70 as arrays named here). The same objects: one own,
// enumerable property per column, in the statement's column order, the last of a repeated name
// winning as it does there.
import type Database from 'better-sqlite3';

const namesOf = new WeakMap<Database.Statement, string[] | null>();

/** A statement's column names, or null when one would not be an own property when set (`__proto__`). */
function names(statement: Database.Statement): string[] | null {
  let found = namesOf.get(statement);
  if (found === undefined) {
    found = statement.columns().map((column) => column.name);
    if (found.includes('__proto__')) found = null;
    namesOf.set(statement, found);
  }
  return found;
}

/** `statement.all(params)` as objects; the statement (shared, its mode set by each user) is left in object mode. */
export function allAsObjects(statement: Database.Statement, params: unknown): Record<string, unknown>[] {
  const columns = names(statement);
  if (!columns) return statement.raw(false).all(params) as Record<string, unknown>[];
  let rows: unknown[][];
  try {
    rows = statement.raw(true).all(params) as unknown[][];
  } finally {
    statement.raw(false);
  }
  const objects = new Array<Record<string, unknown>>(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const object: Record<string, unknown> = {};
    for (let c = 0; c < columns.length; c++) object[columns[c]] = row[c];
    objects[r] = object;
  }
  return objects;
}
