// A generated agent session (Codex-shaped Responses turns: the whole history sent each turn, one
// shell call per turn, its output in the next), stored straight into a database for unit tests or
// as exchange events for the writer (browser tests). Deterministic: no clock, no randomness.
import type { Db } from '../../db/schema.ts';
import type { ExchangeEvent } from '../../model/exchange.ts';

export const SESSION_START = Date.UTC(2026, 11, 2, 9, 0, 0);
/** Each turn takes this long, and the client this long before the next (running the tool). */
export const TURN_MS = 400;
export const CLIENT_MS = 100;

export const SHELL_TOOL = {
  type: 'function',
  name: 'shell',
  description: 'Runs a shell command and returns its output',
  parameters: {
    type: 'object',
    properties: { command: { type: 'array', items: { type: 'string' } }, workdir: { type: 'string' } },
    required: ['command'],
  },
};

export interface GeneratedTurn {
  request: Record<string, unknown>;
  response: Record<string, unknown>;
  startedAt: number;
  usage: { input: number; output: number; cacheRead: number };
}

const callId = (k: number) => `call_gen_${k}`;
const args = (k: number) => JSON.stringify({ command: ['bash', '-lc', `cat part-${k}.txt`] });
/** A result as a shell tool returns it: JSON text with escaped newlines and quotes inside the request. */
const output = (k: number) =>
  JSON.stringify({ output: `line one of part ${k}\n"quoted" two`, metadata: { exit_code: 0 } });

/** Turn k of n: the history so far (user task, then each earlier call and its output); the answer calls the shell, the last one answers in text. */
export function generatedSession(n: number): GeneratedTurn[] {
  const turns: GeneratedTurn[] = [];
  const input: unknown[] = [
    {
      type: 'message',
      role: 'user',
      content: [{ type: 'input_text', text: 'Read every part file and summarise them.' }],
    },
  ];
  for (let k = 0; k < n; k++) {
    if (k > 0)
      input.push(
        { type: 'function_call', name: 'shell', arguments: args(k - 1), call_id: callId(k - 1) },
        { type: 'function_call_output', call_id: callId(k - 1), output: output(k - 1) },
      );
    const last = k === n - 1;
    const answer = last
      ? { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: `All ${n - 1} parts read.` }] }
      : { type: 'function_call', name: 'shell', arguments: args(k), call_id: callId(k) };
    const usage = { input: 1000 + 40 * k, output: 20, cacheRead: k === 0 ? 0 : 1000 + 40 * (k - 1) };
    turns.push({
      request: {
        model: 'gpt-5-codex',
        instructions: 'You are Codex, a coding agent.',
        input: [...input],
        tools: [SHELL_TOOL],
        tool_choice: 'auto',
        parallel_tool_calls: false,
        reasoning: { effort: 'medium' },
        store: false,
        stream: false,
      },
      response: {
        id: `resp_gen_${k}`,
        object: 'response',
        status: 'completed',
        model: 'gpt-5-codex',
        output: [answer],
        usage: {
          input_tokens: usage.input,
          output_tokens: usage.output,
          input_tokens_details: { cached_tokens: usage.cacheRead },
        },
      },
      startedAt: SESSION_START + k * (TURN_MS + CLIENT_MS),
      usage,
    });
  }
  return turns;
}

const HEADERS = (session: string) =>
  JSON.stringify([
    ['Host', 'api.openai.com'],
    ['Content-Type', 'application/json'],
    ['User-Agent', 'codex_exec/0.171.0 (Debian 12; x86_64) xterm-256color'],
    ['originator', 'codex_exec'],
    ['session-id', session],
  ]);

/** Stores the turns as finished Responses calls of thread `session:<session>`; returns their ids in order. */
export function storeSession(db: Db, session: string, turns: GeneratedTurn[], host = 'api.openai.com'): number[] {
  const insert =
    db.prepare(`INSERT INTO exchanges (uid, started_at, client_address, method, scheme, host, port, path, http_version, request_headers, state, status, status_text,
      response_http_version, response_headers, timings, request_size, request_stored, response_size, response_stored, dialect, model, input_tokens, output_tokens, usage, thread_key, to_index)
    VALUES (@uid, @startedAt, '127.0.0.1:5000', 'POST', 'https', @host, 443, '/v1/responses', '1.1', @headers, 'complete', 200, 'OK', '1.1', '[["Content-Type","application/json"]]',
      @timings, @requestSize, @requestSize, @responseSize, @responseSize, 'openai-responses', 'gpt-5-codex', @input, @output, @usage, @thread, 0)`);
  const body = db.prepare('INSERT INTO bodies (exchange_id, side, seq, data) VALUES (?, ?, 0, ?)');
  const ids: number[] = [];
  db.transaction(() => {
    turns.forEach((turn, k) => {
      const request = Buffer.from(JSON.stringify(turn.request));
      const response = Buffer.from(JSON.stringify(turn.response));
      const { lastInsertRowid } = insert.run({
        uid: `${session}-${k}`,
        startedAt: turn.startedAt,
        host,
        headers: HEADERS(session),
        timings: JSON.stringify({
          requestSent: 1,
          responseHeaders: TURN_MS - 10,
          firstByte: TURN_MS - 10,
          end: TURN_MS,
        }),
        requestSize: request.length,
        responseSize: response.length,
        input: turn.usage.input,
        output: turn.usage.output,
        usage: JSON.stringify(turn.usage),
        thread: `session:${session}`,
      });
      const id = Number(lastInsertRowid);
      body.run(id, 'request', request);
      body.run(id, 'response', response);
      ids.push(id);
    });
  })();
  return ids;
}

/** The same turns as exchange events for the writer (CaptureWriter.importEvents), each with Codex's session-id header. */
export function sessionEvents(session: string, turns: GeneratedTurn[], host = 'api.openai.com'): ExchangeEvent[] {
  return turns.flatMap((turn, k): ExchangeEvent[] => {
    const uid = `${session}-${k}`;
    const request = Buffer.from(JSON.stringify(turn.request));
    const response = Buffer.from(JSON.stringify(turn.response));
    return [
      {
        type: 'request',
        uid,
        head: {
          startedAt: turn.startedAt,
          clientAddress: '127.0.0.1:50000',
          method: 'POST',
          scheme: 'https',
          host,
          port: 443,
          path: '/v1/responses',
          httpVersion: '1.1',
          headers: JSON.parse(HEADERS(session)),
        },
      },
      { type: 'body-chunk', uid, side: 'request', chunk: request, atMs: 1 },
      {
        type: 'response-head',
        uid,
        atMs: TURN_MS - 10,
        head: { status: 200, statusText: 'OK', httpVersion: '1.1', headers: [['Content-Type', 'application/json']] },
      },
      { type: 'body-chunk', uid, side: 'response', chunk: response, atMs: TURN_MS - 5 },
      {
        type: 'end',
        uid,
        state: 'complete',
        error: null,
        timings: { requestSent: 1, responseHeaders: TURN_MS - 10, firstByte: TURN_MS - 10, end: TURN_MS },
        requestBody: { size: request.length, storedSize: request.length, truncated: false, encoding: '' },
        responseBody: { size: response.length, storedSize: response.length, truncated: false, encoding: '' },
      },
    ];
  });
}
