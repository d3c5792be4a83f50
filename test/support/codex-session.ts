// A Codex-shaped agent session, generated deterministically: every turn's Responses request
// resends the whole conversation (store: false, as Codex with disable_response_storage sends
// it), growing by a reasoning item (encrypted: incompressible base64), a function call and the
// call's output, which is real text (source files of this project as `cat` would print them,
// fixed in test/fixtures/codex-tool-outputs.json.br); each answer is a 200-event SSE stream.
// For the storage tests and bench/storage-size.ts.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';

export interface CodexTurn {
  /** The request body as Codex sends it (compact JSON, one line). */
  request: Buffer;
  /** The SSE events of the answer, in order, as `event:`/`data:` pairs. */
  events: { event: string; data: string }[];
  /** The SSE response body's bytes (what the events are framed as on the wire). */
  responseBody: Buffer;
}

const FIXTURE = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../fixtures/codex-tool-outputs.json.br');
let fixedOutputs: string[] | undefined;

/**
 * The tool outputs, in a fixed order: 142 source files of this project, each cut to its first
 * 6,000 characters. Read from the checkout at each run before, they changed with every file
 * added to or edited in db/, llm/, proxy/..., and with them the words a turn first sends and
 * the sizes the benches print; fixed once (test/fixtures/codex-tool-outputs.make.ts).
 */
function toolOutputs(): string[] {
  fixedOutputs ??= JSON.parse(zlib.brotliDecompressSync(fs.readFileSync(FIXTURE)).toString('utf8')) as string[];
  return fixedOutputs;
}

/** Deterministic bytes, base64 (what encrypted reasoning looks like: no repetition to compress). */
function noise(seed: string, bytes: number): string {
  const chunks: Buffer[] = [];
  for (let i = 0; chunks.length * 32 < bytes; i++) chunks.push(createHash('sha256').update(`${seed}:${i}`).digest());
  return Buffer.concat(chunks).subarray(0, bytes).toString('base64');
}

function instructions(): string {
  const lines: string[] = [
    "You are Codex, a coding agent based on GPT-5. You and the user share the same workspace and collaborate to achieve the user's goals.",
  ];
  for (let i = 0; lines.join('\n').length < 14_000; i++)
    lines.push(
      `- Rule ${i}: when you edit files, keep changes minimal and focused; prefer apply_patch; never revert changes you did not make; explain what you changed (${i}).`,
    );
  return lines.join('\n');
}

function tools(): unknown[] {
  const list: unknown[] = [];
  for (let i = 0; JSON.stringify(list).length < 22_000; i++) {
    list.push({
      type: 'function',
      name: i === 0 ? 'shell' : `tool_${i}`,
      description: `Runs a command or edits the workspace (tool ${i}). Returns its output. Use it for reading files, searching with rg, running tests and applying patches.`,
      strict: false,
      parameters: {
        type: 'object',
        properties: {
          command: { type: 'array', items: { type: 'string' }, description: 'The command and its arguments' },
          workdir: { type: 'string', description: 'Working directory' },
          timeout_ms: { type: 'number', description: 'How long it may run' },
        },
        required: ['command'],
        additionalProperties: false,
      },
    });
  }
  return list;
}

/** The answer's 200 SSE events: created, in progress, text deltas, the item done, completed. */
function answerEvents(turn: number, callId: string, command: string): { event: string; data: string }[] {
  const id = `resp_${createHash('sha256').update(`r${turn}`).digest('hex').slice(0, 24)}`;
  const events: { event: string; data: string }[] = [];
  let seq = 0;
  const push = (data: Record<string, unknown>) =>
    events.push({ event: data.type as string, data: JSON.stringify({ ...data, sequence_number: seq++ }) });
  push({
    type: 'response.created',
    response: { id, object: 'response', status: 'in_progress', model: 'gpt-5-codex', output: [] },
  });
  push({
    type: 'response.in_progress',
    response: { id, object: 'response', status: 'in_progress', model: 'gpt-5-codex', output: [] },
  });
  const words = [
    'Let',
    ' me',
    ' look',
    ' at',
    ' the',
    ' store',
    ' and',
    ' the',
    ' reader',
    ' first',
    ';',
    ' then',
    ' run',
    ' the',
    ' tests',
    '.',
  ];
  for (let i = 0; i < 194; i++)
    push({
      type: 'response.output_text.delta',
      item_id: `msg_${turn}`,
      output_index: 1,
      content_index: 0,
      delta: words[(i + turn) % words.length],
      obfuscation: noise(`o${turn}.${i}`, 6),
    });
  push({
    type: 'response.output_item.done',
    output_index: 2,
    item: {
      type: 'function_call',
      id: `fc_${turn}`,
      call_id: callId,
      name: 'shell',
      arguments: JSON.stringify({ command: ['bash', '-lc', command] }),
      status: 'completed',
    },
  });
  push({
    type: 'response.output_text.done',
    item_id: `msg_${turn}`,
    output_index: 1,
    content_index: 0,
    text: 'Let me look at the store.',
  });
  push({
    type: 'response.completed',
    response: {
      id,
      object: 'response',
      status: 'completed',
      model: 'gpt-5-codex',
      usage: { input_tokens: 10_000 + turn * 900, output_tokens: 200, total_tokens: 10_200 + turn * 900 },
    },
  });
  push({ type: 'response.done', response: { id } });
  return events;
}

/** A session of `turns` turns: each request (about 40 KB at first) and its answer. */
export function* codexSession(turns: number, seed = 'session'): Generator<CodexTurn> {
  const outputs = toolOutputs();
  const input: unknown[] = [
    {
      type: 'message',
      role: 'developer',
      content: [
        {
          type: 'input_text',
          text: '<permissions instructions>\nFilesystem sandboxing: workspace-write. Network access is restricted.\n</permissions instructions>',
        },
      ],
    },
    {
      type: 'message',
      role: 'user',
      content: [
        {
          type: 'input_text',
          text: `<environment_context>\n  <cwd>/work/${seed}</cwd>\n  <shell>bash</shell>\n</environment_context>`,
        },
      ],
    },
    {
      type: 'message',
      role: 'user',
      content: [
        {
          type: 'input_text',
          text: 'Make request bodies stored once: split them into parts and store each part once.',
        },
      ],
    },
  ];
  const fixed = { instructions: instructions(), tools: tools() };
  for (let turn = 0; turn < turns; turn++) {
    const body = {
      model: 'gpt-5-codex',
      instructions: fixed.instructions,
      input,
      tools: fixed.tools,
      tool_choice: 'auto',
      parallel_tool_calls: false,
      reasoning: { effort: 'medium', summary: 'auto' },
      store: false,
      stream: true,
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: `${seed}-cache`,
    };
    const request = Buffer.from(JSON.stringify(body));
    const callId = `call_${seed}_${turn}`;
    const file = outputs[turn % outputs.length];
    // A tool output is a file, or a part of a long one (Codex cuts what it sends back).
    const output = file.slice(0, 6_000);
    const command = `sed -n 1,200p file${turn}.ts`;
    const events = answerEvents(turn, callId, command);
    const responseBody = Buffer.from(events.map((e) => `event: ${e.event}\ndata: ${e.data}\n\n`).join(''));
    yield { request, events, responseBody };
    input.push(
      {
        type: 'reasoning',
        summary: [{ type: 'summary_text', text: `**Reading file ${turn}**` }],
        encrypted_content: noise(`${seed}.${turn}`, 900),
      },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look at the store.' }] },
      {
        type: 'function_call',
        name: 'shell',
        arguments: JSON.stringify({ command: ['bash', '-lc', command] }),
        call_id: callId,
      },
      {
        type: 'function_call_output',
        call_id: callId,
        output: JSON.stringify({ output, metadata: { exit_code: 0, duration_seconds: 0.1 } }),
      },
    );
  }
}
