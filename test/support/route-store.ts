// A store of its own for a test of one API resource app (viewer/routes/): a temporary SQLite
// database holding the exchanges of a few HAR entries, the reader the apps read it with, and a
// status as a running wirelog would give it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CaptureStore } from '../../db/capture-store.ts';
import { ExchangeReader } from '../../db/reader.ts';
import { openDatabase } from '../../db/schema.ts';
import { harToEvents } from '../../export/har-import.ts';
import type { ViewerStatus } from '../../viewer/routes/status-api.ts';

export interface RouteStore {
  reader: ExchangeReader;
  /** The stored exchanges' ids, oldest first. */
  ids: number[];
  close(): void;
}

/** A chat call to api.example, answered `status` with a JSON body. */
export function chatEntry(n: number, status = 200): Record<string, unknown> {
  return {
    startedDateTime: new Date(Date.UTC(2026, 2, 1, 10, 0, n)).toISOString(),
    request: {
      method: 'POST',
      url: `https://api.example/v1/chat/completions?n=${n}`,
      headers: [{ name: 'content-type', value: 'application/json' }],
      postData: {
        mimeType: 'application/json',
        text: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: `question ${n}` }] }),
      },
    },
    response: {
      status,
      headers: [{ name: 'content-type', value: 'application/json' }],
      content: {
        text: JSON.stringify(
          status === 200
            ? {
                id: `c${n}`,
                model: 'gpt-4o',
                choices: [{ message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
              }
            : { error: { message: 'no such model' } },
        ),
      },
    },
  };
}

export function routeStore(entries: Record<string, unknown>[]): RouteStore {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirelog-routes-'));
  const db = openDatabase(dir);
  const { events } = harToEvents(JSON.stringify({ log: { entries } }), { source: 'routes.har', keepSecrets: false });
  const ids = new CaptureStore(db).apply(events);
  return {
    reader: new ExchangeReader(db),
    ids,
    close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const STATUS: ViewerStatus = {
  version: '9.9.9-test',
  proxyUrl: 'http://127.0.0.1:8899',
  caPath: '/tmp/ca.pem',
  caFingerprint: 'AA:BB',
  keepSecrets: false,
  retention: { maxDbMb: 1024, maxAgeDays: null },
  storageError: null,
  storageLosses: { exchanges: 0, bytes: 0, events: 0, bodies: 0, discarded: 0, cut: 0, restarts: 0 },
  storageBehind: null,
  storageWaiting: 0,
  gatewayBase: 'http://127.0.0.1:8899',
  connections: { open: 0, max: 1000 },
  otlp: null,
};

/** The viewer's own page, as viewer/access.ts names it. */
export const OWN = 'http://127.0.0.1:8900';
export const ownOrigins = () => new Set([OWN]);

/** An answer's status and its JSON. */
export async function answer(
  res: Response | Promise<Response>,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await res;
  return { status: r.status, json: (await r.json()) as Record<string, unknown> };
}
