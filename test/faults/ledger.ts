import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

/** One line of the fault table: what a scenario sent through wirelog and what came out. */
export interface FaultRow {
  scenario: string;
  /** Exchanges sent, as counted outside wirelog: by the clients, or by the upstream's own record. */
  sent: number;
  /** Exchanges found in the database as they should be (state, error, bodies), counted, not awaited. */
  stored: number;
  /** Exchanges missing or stored wrong: sent - stored. */
  lost: number;
  /** Times the wirelog process died or stopped answering during the scenario. */
  crashes: number;
  note?: string;
  /** The scenario could not run here (the test shows as skipped). */
  skipped?: boolean;
}

export const LEDGER_FILE = fileURLToPath(new URL('../../test-artifacts/faults.jsonl', import.meta.url));

/**
 * Test files run in separate workers: each appends its rows, the global teardown prints them.
 * Then the row is held to the promise: nothing lost, no crash (the row stays in the table
 * either way, so a failing run shows what it measured).
 */
export function recordFault(row: Omit<FaultRow, 'lost'>): void {
  fs.mkdirSync(path.dirname(LEDGER_FILE), { recursive: true });
  const lost = row.sent - row.stored;
  fs.appendFileSync(LEDGER_FILE, `${JSON.stringify({ ...row, lost })}\n`);
  if (row.skipped) return;
  expect(row.sent, `${row.scenario}: nothing was sent`).toBeGreaterThan(0);
  expect(lost, `${row.scenario}: exchanges lost or stored wrong`).toBe(0);
  expect(row.crashes, `${row.scenario}: wirelog crashed or stopped answering`).toBe(0);
}

export function readLedger(): FaultRow[] {
  if (!fs.existsSync(LEDGER_FILE)) return [];
  return fs
    .readFileSync(LEDGER_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as FaultRow);
}

export function faultTable(rows: FaultRow[]): string {
  const lines = ['| scenario | sent | stored | lost | crashes | note |', '|---|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    if (r.skipped) lines.push(`| ${r.scenario} | - | - | - | - | skipped: ${r.note ?? ''} |`);
    else lines.push(`| ${r.scenario} | ${r.sent} | ${r.stored} | ${r.lost} | ${r.crashes} | ${r.note ?? ''} |`);
  }
  const total = rows
    .filter((r) => !r.skipped)
    .reduce(
      (t, r) => ({
        sent: t.sent + r.sent,
        stored: t.stored + r.stored,
        lost: t.lost + r.lost,
        crashes: t.crashes + r.crashes,
      }),
      { sent: 0, stored: 0, lost: 0, crashes: 0 },
    );
  lines.push(
    `| **all ${rows.length} scenarios** | ${total.sent} | ${total.stored} | ${total.lost} | ${total.crashes} | |`,
  );
  return lines.join('\n');
}

/** How many of `keys` have exactly one stored row, and that row as expected. */
export function storedOnceEach<T>(
  rows: T[],
  keys: string[],
  keyOf: (row: T) => string | null,
  expected: (row: T) => boolean,
): number {
  return keys.filter((key) => {
    const mine = rows.filter((r) => keyOf(r) === key);
    return mine.length === 1 && expected(mine[0]);
  }).length;
}
