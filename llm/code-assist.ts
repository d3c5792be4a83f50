// Code Assist, the API Gemini CLI calls when signed in with Google (cloudcode-pa.googleapis.com
// /v1internal:streamGenerateContent), carries a Gemini call in an envelope: the request as
// {model, project, user_prompt_id, request: {contents, systemInstruction, tools, generationConfig,
// session_id}}, each response (or streamed event) as {response: {candidates, usageMetadata,
// modelVersion}, traceId}. These give the Gemini body inside, or the body itself when it is none.
import { obj, str, type JsonObject } from './json.ts';

const isObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The Gemini request inside a Code Assist envelope, or the request itself. */
export function codeAssistRequest(request: JsonObject): JsonObject {
  return request.contents === undefined && isObject(request.request) ? obj(request.request) : request;
}

/** The Gemini response inside a Code Assist envelope, or the response itself. */
export function codeAssistResponse(response: JsonObject): JsonObject {
  return response.candidates === undefined && isObject(response.response) ? obj(response.response) : response;
}

/** The session Gemini CLI names in a Code Assist request (request.session_id), or null. */
export function codeAssistSession(request: JsonObject): string | null {
  const inner = codeAssistRequest(request);
  return inner === request ? null : str(inner.session_id);
}
