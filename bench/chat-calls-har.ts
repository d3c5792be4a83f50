// The HAR the import benches read (bench/har-import.ts, bench/scale.ts): N non-streamed chat
// completions of about 5 KB each, one a second from 2026-01-01, each request with its own API
// key (so masking is part of what an import costs), written as a stream (a file of any size
// costs the memory of one entry).
import fs from 'node:fs';

/** Writes `count` chat calls as a HAR document to `file`. */
export async function writeChatCallsHar(file: string, count: number): Promise<void> {
  const out = fs.createWriteStream(file);
  const write = (text: string) =>
    new Promise<void>((resolve) => (out.write(text) ? resolve() : out.once('drain', () => resolve())));
  await write('{"log":{"version":"1.2","creator":{"name":"bench","version":"1"},"entries":[');
  for (let i = 0; i < count; i++) await write(`${i ? ',' : ''}${JSON.stringify(chatCallEntry(i))}`);
  await write(']}}');
  await new Promise<void>((resolve) => out.end(resolve));
}

/** The i-th entry: a question with a long system prompt, and its answer with usage. */
function chatCallEntry(i: number): unknown {
  const body = JSON.stringify({
    model: 'gpt-bench',
    stream: false,
    messages: [
      { role: 'system', content: 'You are helpful. '.repeat(100) },
      { role: 'user', content: `question ${i} ${'lorem ipsum '.repeat(150)}` },
    ],
  });
  const answer = JSON.stringify({
    id: `chatcmpl-${i}`,
    object: 'chat.completion',
    model: 'gpt-bench',
    choices: [{ index: 0, message: { role: 'assistant', content: 'answer '.repeat(80) }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 500, completion_tokens: 80, total_tokens: 580 },
  });
  return {
    startedDateTime: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    time: 100,
    request: {
      method: 'POST',
      url: 'https://api.openai.com/v1/chat/completions',
      httpVersion: 'HTTP/1.1',
      headers: [
        { name: 'content-type', value: 'application/json' },
        { name: 'authorization', value: `Bearer sk-bench-000000000000${i}` },
      ],
      queryString: [],
      cookies: [],
      headersSize: -1,
      bodySize: body.length,
      postData: { mimeType: 'application/json', text: body },
    },
    response: {
      status: 200,
      statusText: 'OK',
      httpVersion: 'HTTP/1.1',
      headers: [{ name: 'content-type', value: 'application/json' }],
      cookies: [],
      content: { size: answer.length, mimeType: 'application/json', text: answer },
      redirectURL: '',
      headersSize: -1,
      bodySize: answer.length,
    },
    cache: {},
    timings: { send: 1, wait: 90, receive: 9 },
  };
}
