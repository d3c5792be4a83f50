// Sends replays through wirelog's own gateway port, so they take the very forwarding path
// (upstream agents, timeouts, recording, masking) every captured request takes, marked as
// wirelog's own. Each replay is recorded under a uid chosen here, to answer with its id.
import { randomUUID } from 'node:crypto';
import type { Agent } from 'undici';
import WebSocket from 'ws';
import type { ExchangeReader } from '../db/reader.ts';
import type { Exchange, Header } from '../model/exchange.ts';
import { REPLAY_HEADER, replayMarkValue } from '../proxy/replay-mark.ts';
import type { SecretMemory } from '../proxy/secret-memory.ts';
import { buildReplay, ReplayRefused, type ReplayEdits, type ReplayRequest } from './request.ts';
import type { CapturedSecret, WithheldSecret } from './secret-guard.ts';
import { originOf, sameOrigin, urlOrigin } from './secret-origin.ts';
import { serverText } from '../i18n/stored-text.ts';

export interface ReplayerOptions {
  reader: ExchangeReader;
  secrets: SecretMemory;
  /** The gateway's base on this instance (http://127.0.0.1:8899, or .../t/TOKEN beyond loopback). */
  gatewayBase: string;
  replayToken: string;
  /** Resolves once what the proxy has recorded so far is stored. */
  flush: () => Promise<void>;
}

// How long a replay may take to be recorded (its request head stored), and the most a
// WebSocket replay waits in silence after its last message before it closes.
const RECORDED_WITHIN_MS = 15_000;
const WS_QUIET_MS = 2_000;
const WS_MAX_MS = 120_000;
const WS_GAP_CAP_MS = 1_000;

function gatewayUrl(base: string, url: URL): string {
  const secure = url.protocol === 'https:' || url.protocol === 'wss:';
  return `${base}/${secure ? 'https' : 'http'}/${url.host}${url.pathname}${url.search}`;
}

function flat(headers: Header[]): string[] {
  return headers.flat();
}

export class Replayer {
  // undici is loaded with the first replay: about 5 MB a capturing process need not hold.
  private agent: Agent | null = null;
  private readonly inFlight = new Set<AbortController>();
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly options: ReplayerOptions) {}

  /**
   * The real value of a header a recent working (2xx) call to the target's host and port sent,
   * if memory still has it, with the origin it was captured for (the same scheme first): whether
   * it may go to the target is for the guard to say (replay/secret-guard.ts), not for this lookup.
   */
  workingKey(target: URL, headerName: string): CapturedSecret | null {
    const to = urlOrigin(target);
    const spellings = [...new Set([to.host, target.hostname.replace(/^\[|\]$/g, '')])];
    const working = spellings
      .flatMap((host) => this.options.reader.list({ host, limit: 100 }))
      .sort((a, b) => b.id - a.id)
      .map((e) => ({ e, origin: originOf(e.request.scheme, e.request.host, e.request.port) }))
      .filter(
        ({ e, origin }) =>
          origin.host === to.host &&
          origin.port === to.port &&
          (e.response?.status ?? 0) >= 200 &&
          (e.response?.status ?? 0) < 300 &&
          e.request.secrets?.some((s) => s.name.toLowerCase() === headerName.toLowerCase()),
      )
      .sort((a, b) => Number(sameOrigin(b.origin, to)) - Number(sameOrigin(a.origin, to)));
    for (const { e, origin } of working) {
      const value = this.options.secrets.newestHeader([e.uid], headerName);
      if (value !== null) return { where: 'header', name: headerName, value, origin };
    }
    return null;
  }

  /** Secrets of `exchange` (header names, `?param`s) whose real values memory no longer has: the user must give them. */
  missingSecrets(exchange: Exchange): string[] {
    const remembered = this.options.secrets.recall(exchange.uid);
    return (exchange.request.secrets ?? [])
      .filter((s) =>
        s.name.startsWith('?')
          ? !remembered?.path
          : !remembered?.headers.some(([n]) => n.toLowerCase() === s.name.toLowerCase()),
      )
      .map((s) => s.name);
  }

  /** The request a replay of `exchange` would send (secrets restored where they may go), or why it cannot be sent. */
  prepare(exchange: Exchange, edits: ReplayEdits): ReplayRequest {
    const stored = this.options.reader.body(exchange.id, 'request');
    const messages = this.clientMessages(exchange).map((m) => Buffer.from(m.payload));
    return buildReplay(exchange, stored, this.options.secrets.recall(exchange.uid), edits, messages);
  }

  /**
   * Sends the replay and resolves with the new exchange's id once it is recorded (the answer
   * streams on), and the captured secrets left out because its target may not receive them.
   */
  async replay(exchange: Exchange, edits: ReplayEdits = {}): Promise<{ id: number; withheld: WithheldSecret[] }> {
    const prepared = this.prepare(exchange, edits);
    const uid = randomUUID();
    const mark: Header = [REPLAY_HEADER, replayMarkValue(this.options.replayToken, exchange.id, uid)];
    const sent = exchange.streamKind === 'websocket' ? this.talk(exchange, prepared, mark) : this.send(prepared, mark);
    return { id: await this.recorded(uid, sent), withheld: prepared.withheld };
  }

  /** The text and binary messages the client of a WebSocket sent, in order (none for other exchanges). */
  private clientMessages(exchange: Exchange) {
    if (exchange.streamKind !== 'websocket') return [];
    return this.options.reader
      .wsMessages(exchange.id)
      .filter((m) => m.direction === 'send' && (m.opcode === 1 || m.opcode === 2));
  }

  private async recorded(uid: string, sent: Promise<void>): Promise<number> {
    let failure: Error | null = null;
    sent.catch((err: Error) => (failure = err));
    const deadline = Date.now() + RECORDED_WITHIN_MS;
    while (Date.now() < deadline) {
      await this.options.flush();
      const found = this.options.reader.byUid(uid);
      if (found) return found.id;
      if (failure)
        throw new ReplayRefused(serverText('en', 'api.gatewayUnreachable', { error: (failure as Error).message }));
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new ReplayRefused(serverText('en', 'api.notRecorded', { seconds: RECORDED_WITHIN_MS / 1000 }));
  }

  private async send(prepared: ReplayRequest, mark: Header): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    try {
      const { Agent, request } = await import('undici');
      this.agent ??= new Agent({ keepAliveTimeout: 1000, headersTimeout: 0, bodyTimeout: 0 });
      const res = await request(gatewayUrl(this.options.gatewayBase, prepared.url), {
        method: prepared.method as never,
        headers: flat([...prepared.headers, mark]),
        body: prepared.body ?? undefined,
        dispatcher: this.agent,
        signal: controller.signal,
      });
      // undici follows no redirect (it has no redirect interceptor here): a 3xx is the replay's
      // answer, so a key never follows a Location to another origin.
      // Read to the end so the stream flows as it would to a client; the proxy records it.
      for await (const _chunk of res.body) void _chunk;
    } finally {
      this.inFlight.delete(controller);
    }
  }

  /** Opens a new WebSocket and sends the messages the client sent (as prepared), in order, spaced as they were (at most 1 s apart). */
  private talk(exchange: Exchange, prepared: ReplayRequest, mark: Header): Promise<void> {
    const sends = this.clientMessages(exchange).map((m, i) => ({ ...m, payload: prepared.messages[i] }));
    const url = gatewayUrl(this.options.gatewayBase, prepared.url).replace(/^http/, 'ws');
    const headers = Object.fromEntries([...prepared.headers, mark]);
    const ws = new WebSocket(url, {
      headers,
      followRedirects: false,
      perMessageDeflate: /permessage-deflate/i.test(
        exchange.request.headers.find(([n]) => n.toLowerCase() === 'sec-websocket-extensions')?.[1] ?? '',
      ),
    });
    this.sockets.add(ws);
    return new Promise<void>((resolve, reject) => {
      let quiet: NodeJS.Timeout | null = null;
      const cap = setTimeout(() => ws.close(1000, 'replay done'), WS_MAX_MS);
      const done = (err?: Error) => {
        clearTimeout(cap);
        if (quiet) clearTimeout(quiet);
        this.sockets.delete(ws);
        if (err) reject(err);
        else resolve();
      };
      const settle = () => {
        if (quiet) clearTimeout(quiet);
        quiet = setTimeout(() => ws.close(1000, 'replay done'), WS_QUIET_MS);
      };
      ws.on('message', () => sentAll && settle());
      ws.once('error', (err) => {
        ws.terminate();
        done(err);
      });
      ws.once('close', () => done());
      let sentAll = false;
      ws.once('open', async () => {
        let previous = sends[0]?.offsetMs ?? 0;
        for (const m of sends) {
          await new Promise((r) => setTimeout(r, Math.min(WS_GAP_CAP_MS, Math.max(0, m.offsetMs - previous))));
          previous = m.offsetMs;
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.send(Buffer.from(m.payload), { binary: m.opcode === 2 });
        }
        sentAll = true;
        settle();
      });
    });
  }

  async close(): Promise<void> {
    for (const controller of this.inFlight) controller.abort();
    for (const ws of this.sockets) ws.terminate();
    await this.agent?.close();
  }
}
