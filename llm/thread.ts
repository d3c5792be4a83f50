// Which agent session a call belongs to, so its turns can be read as one thread.
import { createHash } from 'node:crypto';
import { headerValue, type Exchange } from '../model/exchange.ts';
import { obj, parseJson, str, type JsonObject } from './json.ts';
import type { ModelCall } from './model-call.ts';

/**
 * The session Claude Code names in an Anthropic request's metadata.user_id, for its releases that
 * send no X-Claude-Code-Session-Id: `user_<hash>_account_<uuid>_session_<uuid>`, or (2.1) that as
 * JSON, {device_id, account_uuid, session_id}. Null for any other user_id (an app's own user).
 */
export function claudeCodeSession(request: JsonObject): string | null {
  const userId = str(obj(request.metadata).user_id);
  if (!userId) return null;
  if (userId.startsWith('{')) return str(obj(parseJson(userId)).session_id);
  return /^user_[0-9a-f]+_account_[\w-]*_session_([\w-]+)$/i.exec(userId)?.[1] ?? null;
}

// Headers agents send with every turn of one session (Codex: thread-id, session-id; its releases
// before those sent conversation_id and session_id, with underscores, as tools copying it still do).
const SESSION_HEADERS = [
  'thread-id',
  'session-id',
  'x-session-id',
  'conversation-id',
  'x-claude-code-session-id',
  'session_id',
  'conversation_id',
];

/**
 * A session header wins; then a Responses chain (previous_response_id leads to the thread of
 * the response it continues, a first response starts one); then the conversation's shared
 * start: the same system text and first user message on the same host.
 */
export function threadKeyOf(exchange: Exchange, call: ModelCall, continuedThread: string | null): string | null {
  for (const name of SESSION_HEADERS) {
    const value = headerValue(exchange.request.headers, name);
    if (value) return `session:${value}`;
  }
  // Gemini CLI's Code Assist requests and Claude Code's metadata.user_id name their session in the body.
  if (call.sessionId) return `session:${call.sessionId}`;
  if (continuedThread) return continuedThread;
  if (call.dialect === 'openai-responses' && call.responseId && !call.previousResponseId)
    return `response:${call.responseId}`;
  const firstUser = call.conversation.find((t) => t.role === 'user');
  if (!firstUser) return null;
  const digest = createHash('sha256')
    .update(`${exchange.request.host}\n${call.system ?? ''}\n${firstUser.text}`)
    .digest('hex')
    .slice(0, 16);
  return `prefix:${digest}`;
}
