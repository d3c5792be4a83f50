// OpenAI's Images API (POST /v1/images/generations, /edits, /variations), as OpenAI documents it
// and relays (OpenRouter, ZenMux, new-api sites) pass it on: the prompt asked, the images returned
// (`data[].b64_json` or `data[].url`, llm/images.ts), and the usage the GPT image models report.
// Edits and variations are sent as multipart/form-data: their text fields are read, the uploaded
// files are not (they are the user's own images, not the answer).
import { defined, errorLine, num, obj, parseJson, str, type JsonObject } from './json.ts';
import { emptyAnswer, type StreamItem, type Usage } from './model-call.ts';
import { imagesApiEvent } from './images.ts';
import type { Rebuilt, RequestFacts } from './rebuilt.ts';

/** The request's fields: JSON for generations, text fields of the form for edits and variations. */
export function describeRequest(request: JsonObject): RequestFacts {
  const prompt = str(request.prompt);
  return {
    model: str(request.model),
    // A form field is text: `stream=true`.
    stream: request.stream === true || request.stream === 'true',
    inputCount: null,
    system: null,
    tools: [],
    conversation: prompt !== null ? [{ role: 'user', text: prompt }] : [],
  };
}

/** The GPT image models' usage: input (text and image), output and total tokens. */
export function usageOf(value: unknown): Usage {
  const u = obj(value);
  return defined({
    input: num(u.input_tokens),
    output: num(u.output_tokens),
    cacheRead: num(obj(u.input_tokens_details).cached_tokens),
    total: num(u.total_tokens),
  });
}

/** `{created, data: [{b64_json | url, revised_prompt}], usage?}`: complete when it holds its data. */
export function rebuildResponse(body: JsonObject): Rebuilt {
  const error = body.error ? errorLine(body.error, JSON.stringify(body.error)) : null;
  return {
    respondedModel: null,
    answer: emptyAnswer(),
    usage: usageOf(body.usage),
    usageAsSent: body.usage,
    firstContentMs: null,
    ending: error ? 'error' : 'complete',
    endingReason: error,
  };
}

export const CUT_BEFORE_COMPLETED = 'the stream ended without its image_generation.completed event';

/**
 * A streamed generation or edit (`stream: true`, GPT image models): partial images, then a
 * `.completed` event per image with its usage. It is complete when a completed image was the last
 * image event (a partial after it is an image still drawing when the stream stopped).
 */
export function rebuildStream(items: StreamItem[]): Rebuilt {
  let firstContentMs: number | null = null;
  let usageAsSent: unknown;
  let error: string | null = null;
  let lastKind: 'partial' | 'completed' | null = null;
  for (const item of items) {
    const data = obj(parseJson(item.data));
    if (data.error) error = errorLine(data.error, JSON.stringify(data.error));
    const kind = imagesApiEvent(item, data);
    if (!kind) continue;
    lastKind = kind;
    firstContentMs ??= item.offsetMs;
    if (kind === 'completed' && data.usage !== undefined) usageAsSent = data.usage;
  }
  return {
    respondedModel: null,
    answer: emptyAnswer(),
    usage: usageOf(usageAsSent),
    usageAsSent,
    firstContentMs,
    ending: error ? 'error' : lastKind === 'completed' ? 'complete' : 'truncated',
    endingReason: error ?? (lastKind === 'completed' ? null : CUT_BEFORE_COMPLETED),
  };
}

/**
 * The text fields of a multipart/form-data body (RFC 7578), as a JSON object's text, so the
 * request reads as a JSON one does; parts with a filename (the uploaded images, the mask) are
 * left out. Null when the body is not such a form.
 */
export function formFieldsText(contentType: string, body: Buffer): string | null {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  if (!/^multipart\/form-data/i.test(contentType.trim()) || !boundary) return null;
  const delimiter = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const fields: Record<string, string> = {};
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    const start = at + delimiter.length;
    // The closing delimiter: `--boundary--`.
    if (body[start] === 0x2d && body[start + 1] === 0x2d) break;
    const next = body.indexOf(delimiter, start);
    // A part with no delimiter after it was cut when stored: its value is not whole.
    if (next === -1) break;
    const part = body.subarray(start, next);
    const headEnd = part.indexOf('\r\n\r\n');
    if (headEnd !== -1) {
      const head = part.subarray(0, headEnd).toString('utf8');
      const disposition = /content-disposition:[^\r\n]*/i.exec(head)?.[0] ?? '';
      const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
      if (name !== undefined && !/;\s*filename\*?=/i.test(disposition) && !(name in fields)) {
        let value = part.subarray(headEnd + 4);
        // The CRLF before the next delimiter belongs to it, not to the value.
        if (value.length >= 2 && value[value.length - 2] === 0x0d && value[value.length - 1] === 0x0a)
          value = value.subarray(0, value.length - 2);
        fields[name] = value.toString('utf8');
      }
    }
    at = next;
  }
  return JSON.stringify(fields);
}
