// A turn of a session read from the end of its request: the model call a page's row needs, with
// only the tail of its conversation. Agents resend the whole conversation every turn, so parsing
// each turn's body whole makes a page cost the session's history (its square, over the session);
// a split body (db/request-outline.ts) lets the page read the small members and the last items
// only, each item's turns being its own (every dialect's conversation is a flatMap over its
// items). What is not stored split is read whole as before (llm/stored-calls.ts modelCallOf).
import { bodyView } from '../db/body-view.ts';
import { isTextBody } from '../db/decode.ts';
import type { ExchangeReader } from '../db/reader.ts';
import type { OutlineItem, OutlineMember, StoredRequests } from '../db/request-outline.ts';
import { headerValue, type Exchange } from '../model/exchange.ts';
import * as anthropic from './anthropic.ts';
import { detectDialect } from './dialect.ts';
import * as gemini from './gemini.ts';
import { parseJson } from './json.ts';
import type { Dialect, ModelCall, Turn } from './model-call.ts';
import * as chat from './openai-chat.ts';
import * as responses from './openai-responses.ts';
import { tailSuffices } from './session.ts';
import { modelCallOf } from './stored-calls.ts';

/** The member holding each conversational dialect's items. */
const LIST_MEMBER: Partial<Record<Dialect, string>> = {
  'openai-chat': 'messages',
  'openai-responses': 'input',
  'anthropic-messages': 'messages',
  gemini: 'contents',
};

/** The turns one item of the list stands for, as the dialect reads them in a whole request. */
function itemTurns(dialect: Dialect, list: string, item: unknown, path: string): Turn[] {
  const request = { [list]: [item] };
  switch (dialect) {
    case 'openai-chat':
      return chat.describeRequest(request).conversation;
    case 'openai-responses':
      return responses.describeRequest(request).conversation;
    case 'anthropic-messages':
      return anthropic.describeRequest(request).conversation;
    case 'gemini':
      return gemini.describeRequest(request, path).conversation;
    default:
      return [];
  }
}

const JSON_TEXT = Buffer.from('{}');

/** Counts for tests and the bench: how many list items a page parsed. */
export const tailCounts = { itemsParsed: 0 };

/**
 * A session turn's model call, its conversation read from the end only as far as the row needs
 * (session.ts tailSuffices, with the previous turn's tool calls counted in `previousCalls`).
 * Falls back to reading the body whole (modelCallOf) where it is not stored split: not packed
 * yet, content-encoded and not verified (db/request-reencode.ts), not JSON, another dialect, a WebSocket turn.
 */
export function sessionCallOf(
  reader: ExchangeReader,
  requests: StoredRequests,
  exchange: Exchange,
  previousCalls: number,
  itemCache: Map<number, Turn[]>,
): ModelCall | null {
  const dialect = detectDialect(exchange.request.method, exchange.request.path);
  const list = dialect ? LIST_MEMBER[dialect] : undefined;
  const outline = dialect && list && exchange.streamKind !== 'websocket' ? requests.outline(exchange.id) : null;
  const items = outline ? listItems(outline, list!) : null;
  // The whole read takes JSON text for no text at all when its content type is a binary one: so does this one.
  const binary = !isTextBody(headerValue(exchange.request.headers, 'content-type'), JSON_TEXT);
  if (!dialect || !list || !outline || !items || binary) return modelCallOf(reader, exchange);
  const tail: Turn[] = [];
  for (let i = items.length - 1; i >= 0; i--) {
    tail.unshift(...turnsOf(requests, dialect, list, items[i], exchange.request.path, itemCache));
    if (tailSuffices(tail, previousCalls)) break;
  }
  const call = modelCallOf(reader, exchange, {
    request: smallMembers(outline, list),
    response: bodyView(reader, exchange, 'response').text,
  });
  return call && { ...call, inputCount: items.length, conversation: tail };
}

/** The items of the conversation's list (its last member of that name, as JSON.parse keeps), or null when that is not a list of parts. */
function listItems(outline: OutlineMember[], list: string): OutlineItem[] | null {
  for (let i = outline.length - 1; i >= 0; i--) {
    const member = outline[i];
    if (member.name === list) return 'items' in member ? member.items : null;
  }
  return null;
}

function turnsOf(
  requests: StoredRequests,
  dialect: Dialect,
  list: string,
  item: OutlineItem,
  path: string,
  cache: Map<number, Turn[]>,
): Turn[] {
  if ('part' in item) {
    let turns = cache.get(item.part);
    if (!turns) {
      turns = parsedTurns(dialect, list, requests.part(item.part).toString('utf8'), path);
      cache.set(item.part, turns);
    }
    return turns;
  }
  return parsedTurns(dialect, list, item.inline.toString('utf8'), path);
}

function parsedTurns(dialect: Dialect, list: string, text: string, path: string): Turn[] {
  tailCounts.itemsParsed++;
  return itemTurns(dialect, list, parseJson(text), path);
}

/** The request without its parts and list: model, stream, settings, previous_response_id (what the call reads beside the conversation). */
function smallMembers(outline: OutlineMember[], list: string): string {
  const kept = outline.filter((m) => 'raw' in m && m.name !== list) as (OutlineMember & { raw: Buffer })[];
  return `{${kept.map((m) => `${m.key.toString('utf8')}:${m.raw.toString('utf8')}`).join(',')}}`;
}
