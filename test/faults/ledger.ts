import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** One line of the fault table: what a scenario sent through wirelog and what came out. */
export interface FaultRow {
  scenario: string;
  /** Exchanges the clients started. */
  sent: number;
  /** Exchanges found in the database as they should be (state, error, bodies). */
  stored: number;
  /** Exchanges missing or stored wrong: sent - stored. */
  lost: number;
  /** Times the wirelog process died or stopped answering during the scenario. */
  crashes: number;
  note?: string;
}

export const LEDGER_FILE = fileURLToPath(new URL('../../test-artifacts/faults.jsonl', import.meta.url));

/** Test files run in separate workers: each appends its rows, the global teardown prints them. */
export function recordFault(row: Omit<FaultRow, 'lost'>): void {
  fs.mkdirSync(path.dirname(LEDGER_FILE), { recursive: true });
  fs.appendFileSync(LEDGER_FILE, JSON.stringify({ ...row, lost: row.sent - row.stored }) + '\n');
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
  for (const r of rows) lines.push(`| ${r.scenario} | ${r.sent} | ${r.stored} | ${r.lost} | ${r.crashes} | ${r.note ?? ''} |`);
  const total = rows.reduce((t, r) => ({ sent: t.sent + r.sent, stored: t.stored + r.stored, lost: t.lost + r.lost, crashes: t.crashes + r.crashes }), { sent: 0, stored: 0, lost: 0, crashes: 0 });
  lines.push(`| **all ${rows.length} scenarios** | ${total.sent} | ${total.stored} | ${total.lost} | ${total.crashes} | |`);
  return lines.join('\n');
}
