// Images in a model call: the ones sent in the request and the ones the model returned, in every
// dialect that carries them. Each is described (its type as its bytes say, its decoded size, where
// it sits) and located in the stored JSON, so the viewer decodes it from the stored body or event
// itself: the base64 never travels twice, and no image is ever inlined into HTML by the server.
import { arr, obj, parseJson, str, type JsonObject } from './json.ts';
import { codeAssistRequest, codeAssistResponse } from './code-assist.ts';
import type { Dialect, StreamItem } from './model-call.ts';

/** A step from a JSON value to one inside it: an object key or an array index. */
export type JsonPath = (string | number)[];

/** Where the JSON holding an image's data is stored, and the way from its root to the string. */
export interface ImageLocator {
  /** The exchange whose body or event holds it (set once the call is understood: see withExchange). */
  exchangeId: number;
  /** A body, or one SSE event or WebSocket message of the exchange, by its seq. */
  source: 'request-body' | 'response-body' | 'sse-event' | 'ws-message';
  seq?: number;
  /** To a string of base64, or a `data:<type>;base64,` URL. */
  path: JsonPath;
}

/** What holds an image, named as its dialect names it: a message or input item sent, a choice, candidate or output item returned, an Images API image. */
export type ImageHolder = 'message' | 'input' | 'content' | 'choice' | 'candidate' | 'output' | 'image';

export interface ModelImage {
  side: 'request' | 'response';
  /** The type its first bytes say (PNG, JPEG, GIF, WebP, BMP, AVIF); null when they say none of these. */
  mediaType: string | null;
  /** The type the JSON declared (mimeType, media_type, the data URL's, output_format), when it declared one. */
  declaredType: string | null;
  /** Bytes once decoded from base64. */
  bytes: number;
  /** The message (request) or choice, candidate or output item (response) that holds it, and its part there. */
  holder: ImageHolder;
  index: number;
  part: number | null;
  /** A streamed preview of an image still being generated (Responses `partial_image_index`); the final one follows it. */
  partial?: number;
  /** Drawn while the model was thinking (Gemini's image models show drafts as thought parts), not its answer. */
  thought?: true;
  /** An image returned as a link (the Images API's `url`, http or https): shown as a link, never fetched; no bytes, no type. */
  url?: string;
  /** The prompt the model drew it from, as it rewrote the one asked (the Images API's `revised_prompt`). */
  revisedPrompt?: string;
  locator: ImageLocator;
}

/** An image not yet tied to its exchange. */
type Found = Omit<ModelImage, 'locator'> & { locator: Omit<ImageLocator, 'exchangeId'> };

// Magic numbers of the raster types a browser shows in an <img>. SVG is left out on purpose: it is
// a document that can carry script, and an image is opened by the viewer, never navigated to.
const SIGNATURES: [type: string, matches: (b: Buffer) => boolean][] = [
  ['image/png', (b) => b.length >= 8 && b.readUInt32BE(0) === 0x89504e47 && b.readUInt32BE(4) === 0x0d0a1a0a],
  ['image/jpeg', (b) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff],
  ['image/gif', (b) => /^GIF8[79]a/.test(b.toString('latin1', 0, 6))],
  ['image/webp', (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP'],
  ['image/avif', (b) => b.toString('latin1', 4, 8) === 'ftyp' && /^avi[fs]$/.test(b.toString('latin1', 8, 12))],
  ['image/bmp', (b) => b.length >= 14 && b.toString('latin1', 0, 2) === 'BM'],
];

/** The type the first bytes of base64 data say, or null. Only 24 characters are decoded. */
export function sniffImageType(base64: string): string | null {
  const head = Buffer.from(base64.slice(0, 24), 'base64');
  return SIGNATURES.find(([, matches]) => matches(head))?.[0] ?? null;
}

/** Bytes the base64 decodes to, without decoding it (MIME-style line breaks allowed). */
export function decodedSize(base64: string): number {
  let length = base64.length;
  // Searched for as plain characters (a regex over megabytes costs milliseconds), copied only when present (rare).
  if (base64.includes('\n') || base64.includes('\r') || base64.includes(' '))
    length = base64.replace(/\s+/g, '').length;
  let end = base64.trimEnd().length;
  let padding = 0;
  while (padding < 2 && end > 0 && base64[end - 1] === '=') {
    padding++;
    end--;
  }
  return Math.floor(((length - padding) * 3) / 4);
}

const DATA_URL = /^data:([^;,]*)((?:;[^;,]*)*);base64,/i;

/** The base64 and declared type of a `data:image/png;base64,…` URL; null for any other URL. */
export function dataUrlParts(url: string): { declared: string | null; base64: string } | null {
  const m = DATA_URL.exec(url.slice(0, 256));
  return m ? { declared: m[1] || null, base64: url.slice(m[0].length) } : null;
}

const FORMATS: Record<string, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
};

/** Which events of an Images API stream carry an image: `image_generation.*` and `image_edit.*` (llm/openai-images.ts). */
export function imagesApiEvent(item: StreamItem, data: JsonObject): 'partial' | 'completed' | null {
  const type = str(data.type) ?? item.event ?? '';
  if (/^image_(generation|edit)\.partial_image$/.test(type)) return 'partial';
  if (/^image_(generation|edit)\.completed$/.test(type)) return 'completed';
  return null;
}

/** Collects the images of one call, each with where it sits and where its data is stored. */
class Collector {
  readonly found: Found[] = [];
  constructor(
    private readonly side: ModelImage['side'],
    private readonly source: ImageLocator['source'],
    private readonly seq?: number,
  ) {}

  /** Base64 data as a field holds it; kept when its bytes or its declared type say it is an image (not audio, not a PDF). */
  base64(
    data: unknown,
    declaredType: string | null,
    where: Pick<ModelImage, 'holder' | 'index' | 'part' | 'partial' | 'thought' | 'revisedPrompt'>,
    path: JsonPath,
  ): void {
    if (typeof data !== 'string' || data.length === 0) return;
    const mediaType = sniffImageType(data);
    if (!mediaType && !(declaredType ?? '').toLowerCase().startsWith('image/')) return;
    this.found.push({
      side: this.side,
      mediaType,
      declaredType,
      bytes: decodedSize(data),
      ...where,
      locator: { source: this.source, ...(this.seq !== undefined ? { seq: this.seq } : {}), path },
    });
  }

  /** A remote image (http or https): listed by its URL, which is never fetched; any other scheme is not kept. */
  link(
    url: unknown,
    declaredType: string | null,
    where: Pick<ModelImage, 'holder' | 'index' | 'part' | 'revisedPrompt'>,
    path: JsonPath,
  ): void {
    if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) return;
    this.found.push({
      side: this.side,
      mediaType: null,
      declaredType,
      bytes: 0,
      url,
      ...where,
      locator: { source: this.source, ...(this.seq !== undefined ? { seq: this.seq } : {}), path },
    });
  }

  /** An image URL: only a data URL carries the image itself (a remote one is never fetched). */
  dataUrl(url: unknown, where: Pick<ModelImage, 'holder' | 'index' | 'part' | 'revisedPrompt'>, path: JsonPath): void {
    const parts = typeof url === 'string' ? dataUrlParts(url) : null;
    if (parts) this.base64(parts.base64, parts.declared, where, path);
  }

  /** `{type: 'image_url', image_url: {url} | url}` (chat), `{type: 'input_image', image_url}` (Responses). */
  imageUrlPart(part: JsonObject, where: Pick<ModelImage, 'holder' | 'index' | 'part'>, path: JsonPath): void {
    if (typeof part.image_url === 'string') this.dataUrl(part.image_url, where, [...path, 'image_url']);
    else if (part.image_url && typeof obj(part.image_url).url === 'string')
      this.dataUrl(obj(part.image_url).url, where, [...path, 'image_url', 'url']);
  }

  /** Gemini's `inlineData` (or `inline_data`) part. */
  inlineData(part: JsonObject, where: Pick<ModelImage, 'holder' | 'index' | 'part'>, path: JsonPath): void {
    const key = part.inlineData ? 'inlineData' : part.inline_data ? 'inline_data' : null;
    if (!key) return;
    const blob = obj(part[key]);
    this.base64(
      blob.data,
      str(blob.mimeType) ?? str(blob.mime_type),
      { ...where, ...(part.thought === true ? { thought: true as const } : {}) },
      [...path, key, 'data'],
    );
  }
}

/** Chat messages' content arrays (and OpenRouter's `images` on an assistant message sent back). */
function chatMessageImages(
  c: Collector,
  message: JsonObject,
  holder: ImageHolder,
  index: number,
  path: JsonPath,
): void {
  arr(message.content).forEach((p, part) => {
    const each = obj(p);
    if (each.type === 'image_url' || each.type === 'input_image' || each.image_url !== undefined)
      c.imageUrlPart(each, { holder, index, part }, [...path, 'content', part]);
  });
  arr(message.images).forEach((p, part) => c.imageUrlPart(obj(p), { holder, index, part }, [...path, 'images', part]));
}

/** Anthropic `image` blocks with a base64 source, also inside a tool result's content. */
function anthropicBlocks(
  c: Collector,
  blocks: unknown,
  index: number,
  path: JsonPath,
  part: number | null = null,
): void {
  arr(blocks).forEach((b, i) => {
    const block = obj(b);
    const source = obj(block.source);
    if (block.type === 'image' && source.type === 'base64')
      c.base64(source.data, str(source.media_type), { holder: 'message', index, part: part ?? i }, [
        ...path,
        i,
        'source',
        'data',
      ]);
    else if (block.type === 'tool_result') anthropicBlocks(c, block.content, index, [...path, i, 'content'], i);
  });
}

/** A Responses output item (or an input item sent back): generated images and code-interpreter images. */
function responsesItem(c: Collector, item: JsonObject, holder: ImageHolder, index: number, path: JsonPath): void {
  if (item.type === 'image_generation_call')
    c.base64(item.result, FORMATS[str(item.output_format) ?? ''] ?? null, { holder, index, part: null }, [
      ...path,
      'result',
    ]);
  else if (item.type === 'code_interpreter_call')
    arr(item.outputs).forEach(
      (o, part) =>
        obj(o).type === 'image' && c.dataUrl(obj(o).url, { holder, index, part }, [...path, 'outputs', part, 'url']),
    );
  else if (item.type === 'message' || item.role !== undefined) {
    arr(item.content).forEach((p, part) => {
      const each = obj(p);
      if (each.type === 'input_image' || each.type === 'image_url')
        c.imageUrlPart(each, { holder, index, part }, [...path, 'content', part]);
    });
  }
}

/** Gemini candidates (response) or contents (request): their inlineData parts. */
function geminiParts(c: Collector, holders: unknown, holder: ImageHolder, path: JsonPath, contentKey: boolean): void {
  arr(holders).forEach((h, i) => {
    const each = obj(h);
    const index = holder === 'candidate' && typeof each.index === 'number' ? each.index : i;
    const parts = contentKey ? obj(each.content).parts : each.parts;
    const partsPath = contentKey ? [...path, i, 'content', 'parts'] : [...path, i, 'parts'];
    arr(parts).forEach((p, part) => c.inlineData(obj(p), { holder, index, part }, [...partsPath, part]));
  });
}

/** The images a request sent. `source`/`seq`: where the request is stored (a body, or a WebSocket message). */
export function requestImages(
  dialect: Dialect,
  request: JsonObject,
  source: ImageLocator['source'] = 'request-body',
  seq?: number,
): Found[] {
  const c = new Collector('request', source, seq);
  if (dialect === 'openai-chat')
    arr(request.messages).forEach((m, index) => chatMessageImages(c, obj(m), 'message', index, ['messages', index]));
  else if (dialect === 'openai-responses')
    arr(request.input).forEach((item, index) => responsesItem(c, obj(item), 'input', index, ['input', index]));
  else if (dialect === 'anthropic-messages')
    arr(request.messages).forEach((m, index) =>
      anthropicBlocks(c, obj(m).content, index, ['messages', index, 'content']),
    );
  else if (dialect === 'gemini') {
    // Code Assist's envelope holds the Gemini request under `request`.
    const inner = codeAssistRequest(request);
    geminiParts(c, inner.contents, 'content', inner === request ? ['contents'] : ['request', 'contents'], false);
  }
  return c.found;
}

/**
 * The Images API's answer: `data[]`, each `b64_json` (typed by `output_format`, PNG when the GPT
 * image models name none) or `url` (DALL·E's default `response_format`), with its `revised_prompt`.
 */
function imagesApiData(c: Collector, body: JsonObject, path: JsonPath): void {
  const declared = FORMATS[str(body.output_format) ?? ''] ?? null;
  arr(body.data).forEach((d, index) => {
    const each = obj(d);
    const revised = str(each.revised_prompt);
    const where = { holder: 'image' as const, index, part: null, ...(revised ? { revisedPrompt: revised } : {}) };
    if (typeof each.b64_json === 'string')
      c.base64(each.b64_json, declared, where, [...path, 'data', index, 'b64_json']);
    // A relay may put the image itself in `url`, as a data URL: it is read as one.
    else if (typeof each.url === 'string' && dataUrlParts(each.url))
      c.dataUrl(each.url, where, [...path, 'data', index, 'url']);
    else c.link(each.url, declared, where, [...path, 'data', index, 'url']);
  });
}

/** The images of one response object (or one streamed chunk of it) at `path`. */
function responseObjectImages(c: Collector, dialect: Dialect, body: JsonObject, path: JsonPath): void {
  if (dialect === 'openai-images') imagesApiData(c, body, path);
  else if (dialect === 'gemini') {
    // Code Assist's envelope holds the Gemini response under `response`.
    const inner = codeAssistResponse(body);
    const at = inner === body ? path : [...path, 'response'];
    geminiParts(c, inner.candidates, 'candidate', [...at, 'candidates'], true);
  } else if (dialect === 'openai-chat') {
    arr(body.choices).forEach((ch, i) => {
      const choice = obj(ch);
      const index = typeof choice.index === 'number' ? choice.index : i;
      if (choice.message)
        chatMessageImages(c, obj(choice.message), 'choice', index, [...path, 'choices', i, 'message']);
      if (choice.delta) chatMessageImages(c, obj(choice.delta), 'choice', index, [...path, 'choices', i, 'delta']);
    });
  } else if (dialect === 'openai-responses')
    arr(body.output).forEach((item, index) => responsesItem(c, obj(item), 'output', index, [...path, 'output', index]));
}

/** The images of a whole response body (a Gemini JSON-array stream is an array of responses). */
export function responseImages(dialect: Dialect, body: unknown): Found[] {
  const c = new Collector('response', 'response-body');
  if (Array.isArray(body)) body.forEach((chunk, i) => responseObjectImages(c, dialect, obj(chunk), [i]));
  else responseObjectImages(c, dialect, obj(body), []);
  return c.found;
}

// An event is parsed again only when its text can hold an image: the others (nearly all) cost one search.
const MAY_HOLD_IMAGE = /inlineData|inline_data|"images"|image_generation_call|"image_url"|"type":\s*"image"|"b64_json"/;

/** The images a stream returned, each located in its event. Responses: partial images, and each final image once. */
export function streamImages(dialect: Dialect, items: StreamItem[], source: 'sse-event' | 'ws-message'): Found[] {
  const found: Found[] = [];
  const finals = new Set<number>();
  let imagesDone = 0;
  let completed: { c: Collector; output: unknown } | null = null;
  items.forEach((item, position) => {
    if (!MAY_HOLD_IMAGE.test(item.data)) return;
    const data = obj(parseJson(item.data));
    const c = new Collector('response', source, item.seq ?? position);
    const type = str(data.type) ?? item.event ?? '';
    if (dialect === 'openai-images') {
      // Partial images of the image being drawn, then its completed event: one image per completed event.
      const kind = imagesApiEvent(item, data);
      if (!kind) return;
      const index = imagesDone;
      if (kind === 'completed') imagesDone++;
      c.base64(
        data.b64_json,
        FORMATS[str(data.output_format) ?? ''] ?? null,
        {
          holder: 'image',
          index,
          part: null,
          ...(kind === 'partial'
            ? { partial: typeof data.partial_image_index === 'number' ? data.partial_image_index : 0 }
            : {}),
        },
        ['b64_json'],
      );
    } else if (dialect !== 'openai-responses') responseObjectImages(c, dialect, data, []);
    else if (type === 'response.image_generation_call.partial_image') {
      const index = typeof data.output_index === 'number' ? data.output_index : 0;
      const partial = typeof data.partial_image_index === 'number' ? data.partial_image_index : 0;
      c.base64(
        data.partial_image_b64,
        FORMATS[str(data.output_format) ?? ''] ?? null,
        { holder: 'output', index, part: null, partial },
        ['partial_image_b64'],
      );
    } else if (type === 'response.output_item.done') {
      const index = typeof data.output_index === 'number' ? data.output_index : 0;
      responsesItem(c, obj(data.item), 'output', index, ['item']);
      if (c.found.length) finals.add(index);
    } else if (type === 'response.completed' || type === 'response.incomplete') {
      // The finished response repeats every output item: read only for those no output_item.done carried.
      completed = { c, output: obj(data.response).output };
      return;
    }
    found.push(...c.found);
  });
  const last = completed as { c: Collector; output: unknown } | null;
  if (last) {
    arr(last.output).forEach(
      (item, index) =>
        !finals.has(index) && responsesItem(last.c, obj(item), 'output', index, ['response', 'output', index]),
    );
    found.push(...last.c.found);
  }
  return found;
}

/** Ties images to the exchange that stores them. */
export function withExchange(found: Found[], exchangeId: number): ModelImage[] {
  return found.map((image) => ({ ...image, locator: { exchangeId, ...image.locator } }));
}

/** Images the model returned, as the list counts them: drafts and partial previews only when no final image came. */
export function returnedImageCount(images: readonly Pick<ModelImage, 'side' | 'partial' | 'thought'>[]): number {
  const returned = images.filter((i) => i.side === 'response');
  const finals = returned.filter((i) => i.partial === undefined && !i.thought).length;
  return finals || returned.length;
}
