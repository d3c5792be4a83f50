// A generated agent session (test/support/session-store.ts) whose captured text is hostile: the
// user's task and a tool's result are markup that would run or load if an export put them in a
// page unescaped, and the last answer holds backtick runs that would close a short Markdown fence.
import { generatedSession, type GeneratedTurn } from './session-store.ts';

export const HOSTILE = [
  '<script>window.__pwned = 1</script>',
  '</style><script>window.__pwned = 2</script><style>',
  '<a href="javascript:window.__pwned=3">click</a>',
  '<img src=x onerror="window.__pwned=4">',
  '</pre></details></article><iframe src="https://example.invalid/"></iframe>',
  '\' " & &amp; -->',
].join('\n');

/** A body with backtick runs of 3 and 4: a 3-backtick fence would end early. */
export const BACKTICKS = 'before\n```\ninside a fence\n````\nstill inside\n```js\nafter';

/** Three turns: the task and call_gen_0's result are HOSTILE, the last answer is BACKTICKS. */
export function hostileSession(): GeneratedTurn[] {
  const turns = generatedSession(3);
  const first = turns[0].request.input as { content: { text: string }[] }[];
  first[0].content[0].text = HOSTILE;
  const last = turns[2].response.output as { content: { text: string }[] }[];
  last[0].content[0].text = BACKTICKS;
  for (const turn of turns.slice(1)) {
    for (const item of turn.request.input as { type: string; output?: string; call_id?: string }[])
      if (item.type === 'function_call_output' && item.call_id === 'call_gen_0') item.output = HOSTILE;
  }
  return turns;
}
