import fs from 'node:fs';
import { faultTable, LEDGER_FILE, readLedger } from './ledger.ts';

// Vitest global setup: a fresh ledger per run, and the fault table printed at the end of it.
export function setup(): void {
  fs.rmSync(LEDGER_FILE, { force: true });
}

export function teardown(): void {
  const rows = readLedger().sort((a, b) => a.scenario.localeCompare(b.scenario));
  if (rows.length === 0) return;
  const table = faultTable(rows);
  fs.writeFileSync(LEDGER_FILE.replace(/\.jsonl$/, '.md'), `${table}\n`);
  console.log(`\nFault scenarios (test-artifacts/faults.md):\n${table}\n`);
}
