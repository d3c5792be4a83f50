// What changed between two turns' contexts (llm/turn-context.ts), structurally: system blocks,
// tools by name, messages by message and block; not a text diff of the JSON. An earlier message
// that is gone or rewritten (context compaction, truncation) is counted apart: it changes what the
// model knows. Work is linear in the two contexts' sizes, whatever the session's length.
import type { ContextBlock, ContextMessage, ContextTool, TurnContext } from './turn-context.ts';

export interface BlockChange {
  kind: 'added' | 'removed' | 'changed';
  /** Position in the later turn (added, changed) or in the earlier one (removed), from 0. */
  index: number;
  before?: ContextBlock;
  after?: ContextBlock;
}

export type MessageChange =
  | { kind: 'added'; index: number; message: ContextMessage }
  | { kind: 'removed'; index: number; message: ContextMessage }
  | { kind: 'changed'; index: number; indexBefore: number; role: string; blocks: BlockChange[] };

export interface ToolChange {
  name: string;
  before: ContextTool;
  after: ContextTool;
}

export interface ValueChange {
  key: string;
  before: unknown;
  after: unknown;
}

export interface TurnDiff {
  system: BlockChange[];
  tools: { added: ContextTool[]; removed: ContextTool[]; changed: ToolChange[]; unchanged: number };
  messages: {
    /** Messages both turns sent the same (the shared start, and any shared end). */
    unchanged: number;
    /** In order of the later turn, removed ones where they stood. */
    changes: MessageChange[];
    /**
     * The later turn continues a stored response (Responses previous_response_id): the provider
     * holds the earlier context, so its messages are all new and none of the earlier is dropped.
     */
    chained: boolean;
  };
  /** Earlier messages dropped or rewritten (compaction, truncation); null when the earlier history is kept whole. */
  earlierChanged: { dropped: number; rewritten: number } | null;
  settings: ValueChange[];
  reasoning: ValueChange | null;
  previousResponseId: ValueChange | null;
}

/**
 * A block's or tool's identity leaves out where a cache breakpoint stands: Claude Code moves its
 * cache_control to the newest message every turn, which rewrites nothing the model reads.
 */
function withoutBreakpoint<T extends { cacheBreakpoint?: boolean }>(value: T): Omit<T, 'cacheBreakpoint'> {
  const { cacheBreakpoint: _, ...rest } = value;
  return rest;
}
const blockKey = (b: ContextBlock): string => JSON.stringify(withoutBreakpoint(b));
/** A message's identity for comparison: its role and blocks, as sent. */
const messageKey = (m: ContextMessage): string => JSON.stringify([m.role, m.blocks.map(withoutBreakpoint)]);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const sameTool = (a: ContextTool, b: ContextTool): boolean => same(withoutBreakpoint(a), withoutBreakpoint(b));

/** Blocks compared in place: a changed one where both have a block, then what one has past the other's end. */
function blockChanges(before: ContextBlock[], after: ContextBlock[]): BlockChange[] {
  const changes: BlockChange[] = [];
  const shared = Math.min(before.length, after.length);
  for (let i = 0; i < shared; i++)
    if (blockKey(before[i]) !== blockKey(after[i]))
      changes.push({ kind: 'changed', index: i, before: before[i], after: after[i] });
  for (let i = shared; i < after.length; i++) changes.push({ kind: 'added', index: i, after: after[i] });
  for (let i = shared; i < before.length; i++) changes.push({ kind: 'removed', index: i, before: before[i] });
  return changes;
}

function toolChanges(before: ContextTool[], after: ContextTool[]): TurnDiff['tools'] {
  const earlier = new Map(before.map((t) => [t.name, t]));
  const later = new Map(after.map((t) => [t.name, t]));
  const result: TurnDiff['tools'] = { added: [], removed: [], changed: [], unchanged: 0 };
  for (const tool of after) {
    const was = earlier.get(tool.name);
    if (!was) result.added.push(tool);
    else if (!sameTool(was, tool)) result.changed.push({ name: tool.name, before: was, after: tool });
    else result.unchanged++;
  }
  for (const tool of before) if (!later.has(tool.name)) result.removed.push(tool);
  return result;
}

/** Keys counted, so a message present in the other side's middle is matched in O(1). */
function counts(keys: string[], from: number, to: number): Map<string, number> {
  const found = new Map<string, number>();
  for (let i = from; i < to; i++) found.set(keys[i], (found.get(keys[i]) ?? 0) + 1);
  return found;
}

function messageChanges(a: ContextMessage[], b: ContextMessage[]): { unchanged: number; changes: MessageChange[] } {
  const ka = a.map(messageKey);
  const kb = b.map(messageKey);
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && ka[prefix] === kb[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    ka[a.length - 1 - suffix] === kb[b.length - 1 - suffix]
  )
    suffix++;
  const changes: MessageChange[] = [];
  const endA = a.length - suffix;
  const endB = b.length - suffix;
  // The middles walked side by side: a message the other side still has later is kept (the other
  // side's extra ones are added or removed); two that neither side has again, of the same role, are one message rewritten.
  const inA = counts(ka, prefix, endA);
  const inB = counts(kb, prefix, endB);
  let unchanged = prefix + suffix;
  let i = prefix;
  let j = prefix;
  while (i < endA || j < endB) {
    if (i < endA && j < endB && ka[i] === kb[j]) {
      inA.set(ka[i], inA.get(ka[i])! - 1);
      inB.set(kb[j], inB.get(kb[j])! - 1);
      unchanged++;
      i++;
      j++;
      continue;
    }
    const aLater = i < endA && (inB.get(ka[i]) ?? 0) > 0;
    const bLater = j < endB && (inA.get(kb[j]) ?? 0) > 0;
    if (i < endA && j < endB && !aLater && !bLater && a[i].role === b[j].role) {
      changes.push({
        kind: 'changed',
        index: j,
        indexBefore: i,
        role: b[j].role,
        blocks: blockChanges(a[i].blocks, b[j].blocks),
      });
      inA.set(ka[i], inA.get(ka[i])! - 1);
      inB.set(kb[j], inB.get(kb[j])! - 1);
      i++;
      j++;
    } else if (i < endA && !aLater) {
      changes.push({ kind: 'removed', index: i, message: a[i] });
      inA.set(ka[i], inA.get(ka[i])! - 1);
      i++;
    } else if (j < endB) {
      changes.push({ kind: 'added', index: j, message: b[j] });
      inB.set(kb[j], inB.get(kb[j])! - 1);
      j++;
    } else {
      // a[i] is still ahead in b, but b's middle is spent: it cannot be matched any more.
      changes.push({ kind: 'removed', index: i, message: a[i] });
      i++;
    }
  }
  return { unchanged, changes };
}

function valueChange(key: string, before: unknown, after: unknown): ValueChange | null {
  return same(before ?? null, after ?? null) ? null : { key, before: before ?? null, after: after ?? null };
}

/** What the later turn `b` sent differently from the earlier turn `a`. */
export function diffTurns(a: TurnContext, b: TurnContext): TurnDiff {
  // A Responses turn continuing a stored response sends only what is new: nothing earlier was dropped.
  const chained = b.previousResponseId !== null && b.previousResponseId !== a.previousResponseId;
  const messages = chained
    ? { unchanged: 0, changes: b.messages.map((message, index): MessageChange => ({ kind: 'added', index, message })) }
    : messageChanges(a.messages, b.messages);
  const dropped = messages.changes.filter((c) => c.kind === 'removed').length;
  const rewritten = messages.changes.filter((c) => c.kind === 'changed').length;
  const keys = [...new Set([...Object.keys(a.settings), ...Object.keys(b.settings)])].sort();
  return {
    system: blockChanges(a.system, b.system),
    tools: toolChanges(a.tools, b.tools),
    messages: { ...messages, chained },
    earlierChanged: dropped || rewritten ? { dropped, rewritten } : null,
    settings: keys.flatMap((key) => valueChange(key, a.settings[key], b.settings[key]) ?? []),
    reasoning: valueChange('reasoning', a.reasoning, b.reasoning),
    previousResponseId: valueChange('previous_response_id', a.previousResponseId, b.previousResponseId),
  };
}

/**
 * How surely turn `b` continues the conversation of the earlier turn `a`: 2 when both sent the same
 * system prompt and start with the same message, 1 when only the system prompt is the same (a
 * compacted history, a Responses chain), 0 when not even that: another conversation sharing the
 * session (a subagent, a title or summary call).
 */
export function continuation(a: TurnContext, b: TurnContext): 0 | 1 | 2 {
  if (a.dialect !== b.dialect || blockChanges(a.system, b.system).length > 0) return 0;
  const first = (c: TurnContext) => (c.messages.length ? messageKey(c.messages[0]) : '');
  return first(a) === first(b) ? 2 : 1;
}

/** Messages the later turn added and nothing else changed: the shape of an agent turn that only appended. */
export function onlyAppended(diff: TurnDiff): boolean {
  return diff.earlierChanged === null && diff.messages.changes.every((c) => c.kind === 'added');
}
