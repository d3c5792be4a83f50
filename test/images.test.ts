// Images in model calls (llm/images.ts): found in every dialect that carries them, typed by their
// bytes, sized without decoding, and located so that the viewer's own code (viewer/app/image-data.ts)
// finds each one's base64 in the stored body or event and decodes exactly that many bytes.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeExchange, type WsText } from '../llm/analyze.ts';
import {
  decodedSize,
  requestImages,
  responseImages,
  returnedImageCount,
  sniffImageType,
  streamImages,
} from '../llm/images.ts';
import type { ModelCall, ModelImage } from '../llm/model-call.ts';
import { callFacts } from '../llm/stored-calls.ts';
import type { Exchange } from '../model/exchange.ts';
import { base64In, bytesOf } from '../viewer/app/image-base64.ts';
import type { Fixture } from './support/llm-fixture.ts';

const FIXTURES = path.resolve('test/fixtures/llm');
const IMAGE_FIXTURES = [
  'gemini-image-vertex-sse.json',
  'gemini-image-vertex-json.json',
  'openrouter-chat-images.json',
  'openrouter-chat-images-stream.json',
  'responses-image-generation-stream.json',
  'responses-image-outputs.json',
  'anthropic-request-image.json',
];

// Tiny real images: a 1x1 PNG, a JPEG's first bytes, a GIF, a WebP header; SVG is a document, not shown.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]).toString('base64');
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00', 'latin1').toString('base64');
const WEBP = Buffer.from('RIFF\x1a\x00\x00\x00WEBPVP8L', 'latin1').toString('base64');
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>').toString('base64');
const WAV = Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1').toString('base64');

function fixture(file: string): Fixture & { listImages: number } {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as Fixture & { listImages: number };
}

function exchangeOf(f: Fixture, id = 7): Exchange {
  const e = f.exchange;
  return {
    id,
    uid: 'images',
    request: {
      startedAt: 0,
      clientAddress: '127.0.0.1:1',
      method: e.method,
      scheme: 'https',
      host: 'zenmux.ai',
      port: 443,
      path: e.path,
      httpVersion: '1.1',
      headers: [],
    },
    response: e.status === null ? null : { status: e.status, statusText: '', httpVersion: '1.1', headers: [] },
    state: e.state,
    error: null,
    timings: e.timings,
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: e.streamKind,
    eventCount: f.events?.length ?? 0,
    call: null,
    diagnosis: null,
  };
}

function analyzed(f: Fixture, ws: WsText[] = []): ModelCall {
  return analyzeExchange({
    exchange: exchangeOf(f),
    requestText: f.request === undefined ? null : JSON.stringify(f.request),
    responseText: f.response === undefined ? null : JSON.stringify(f.response),
    sseEvents: (f.events ?? []).map((e, seq) => ({
      seq,
      offsetMs: e.offsetMs,
      event: e.event ?? null,
      id: null,
      data: e.data,
    })),
    wsMessages: ws,
  })!;
}

/** The stored text an image's locator names, as the viewer fetches it. */
function storedText(f: Fixture, image: ModelImage, ws: WsText[] = []): string | null {
  const { source, seq } = image.locator;
  if (source === 'request-body') return JSON.stringify(f.request);
  if (source === 'response-body') return JSON.stringify(f.response);
  if (source === 'sse-event') return f.events![seq!].data;
  return ws.find((m) => m.seq === seq)?.text ?? null;
}

describe('images in model calls', () => {
  for (const file of IMAGE_FIXTURES) {
    it(`${file}: each image is found where its locator says, as many bytes as said, of the type said`, () => {
      const f = fixture(file);
      const call = analyzed(f);
      expect(call.images?.length).toBeGreaterThan(0);
      for (const image of call.images!) {
        expect(image.locator.exchangeId).toBe(7);
        const found = base64In(storedText(f, image), image.locator.path);
        if (!('base64' in found)) throw new Error(`${file}: ${found.missing}`);
        const bytes = bytesOf(found.base64);
        expect(bytes.length).toBe(image.bytes);
        expect(sniffImageType(Buffer.from(bytes).toString('base64'))).toBe(image.mediaType);
      }
      // The list's count: final images the model returned, not the ones sent nor the previews.
      expect(callFacts(call).images ?? 0).toBe(f.listImages);
    });
  }

  it('types images by their first bytes, and never calls SVG (a document that can run script) an image to show', () => {
    expect(sniffImageType(PNG)).toBe('image/png');
    expect(sniffImageType(JPEG)).toBe('image/jpeg');
    expect(sniffImageType(GIF)).toBe('image/gif');
    expect(sniffImageType(WEBP)).toBe('image/webp');
    expect(sniffImageType(SVG)).toBeNull();
    expect(sniffImageType(WAV)).toBeNull();
    expect(sniffImageType('not base64 at all!')).toBeNull();
  });

  it('sizes base64 without decoding it: padding and line breaks counted out', () => {
    expect(decodedSize('YWJj')).toBe(3);
    expect(decodedSize('YWI=')).toBe(2);
    expect(decodedSize('YQ==')).toBe(1);
    expect(decodedSize('YWJj\nYWJj\r\nYQ==\n')).toBe(7);
    expect(decodedSize(PNG)).toBe(Buffer.from(PNG, 'base64').length);
  });

  it('keeps the declared type beside the real one when they differ, and leaves out audio, PDFs and remote URLs', () => {
    const gemini = requestImages('gemini', {
      contents: [
        {
          role: 'user',
          parts: [
            { inlineData: { mimeType: 'image/png', data: JPEG } },
            { inlineData: { mimeType: 'audio/wav', data: WAV } },
            { inline_data: { mime_type: 'application/pdf', data: 'JVBERi0xLjQK' } },
            { fileData: { fileUri: 'gs://b/x.png', mimeType: 'image/png' } },
          ],
        },
      ],
    });
    expect(gemini).toEqual([expect.objectContaining({ mediaType: 'image/jpeg', declaredType: 'image/png', part: 0 })]);
    const chat = requestImages('openai-chat', {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
            { type: 'image_url', image_url: `data:image/png;base64,${PNG}` },
          ],
        },
      ],
    });
    expect(chat).toEqual([
      expect.objectContaining({
        mediaType: 'image/png',
        part: 1,
        locator: { source: 'request-body', path: ['messages', 0, 'content', 1, 'image_url'] },
      }),
    ]);
  });

  it("finds Anthropic images inside a tool result's content", () => {
    const found = requestImages('anthropic-messages', {
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't1',
              content: [
                { type: 'text', text: 'screenshot' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              ],
            },
          ],
        },
      ],
    });
    expect(found).toEqual([
      expect.objectContaining({
        holder: 'message',
        index: 0,
        part: 0,
        locator: { source: 'request-body', path: ['messages', 0, 'content', 0, 'content', 1, 'source', 'data'] },
      }),
    ]);
  });

  it('reads a Gemini JSON-array stream (no alt=sse) as an array of responses', () => {
    const found = responseImages('gemini', [
      { candidates: [{ content: { parts: [{ text: 'a' }] } }] },
      { candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: PNG } }] } }] },
    ]);
    expect(found).toEqual([
      expect.objectContaining({
        side: 'response',
        holder: 'candidate',
        index: 0,
        part: 0,
        locator: { source: 'response-body', path: [1, 'candidates', 0, 'content', 'parts', 0, 'inlineData', 'data'] },
      }),
    ]);
  });

  it('takes a final Responses image from response.completed when no output_item.done carried it, and counts previews only without a final', () => {
    const partial = {
      seq: 3,
      offsetMs: 1,
      event: null,
      data: JSON.stringify({
        type: 'response.image_generation_call.partial_image',
        output_index: 0,
        partial_image_index: 0,
        partial_image_b64: PNG,
      }),
    };
    const completed = {
      seq: 9,
      offsetMs: 2,
      event: null,
      data: JSON.stringify({
        type: 'response.completed',
        response: { output: [{ type: 'image_generation_call', result: PNG }] },
      }),
    };
    const both = streamImages('openai-responses', [partial, completed], 'ws-message');
    expect(both.map((i) => [i.partial, i.locator])).toEqual([
      [0, { source: 'ws-message', seq: 3, path: ['partial_image_b64'] }],
      [undefined, { source: 'ws-message', seq: 9, path: ['response', 'output', 0, 'result'] }],
    ]);
    expect(returnedImageCount(both)).toBe(1);
    // A stream cut after its previews: what it returned is the previews.
    expect(returnedImageCount(streamImages('openai-responses', [partial], 'sse-event'))).toBe(1);
  });

  it('locates a WebSocket turn: the images it sent in its response.create message, the ones returned in theirs', () => {
    const f = fixture('responses-image-generation-stream.json');
    const create = { ...(f.request as object), type: 'response.create' };
    const ws: WsText[] = [
      { seq: 0, direction: 'send', offsetMs: 0, text: JSON.stringify(create) },
      ...f.events!.map((e, i) => ({ seq: i + 1, direction: 'receive' as const, offsetMs: e.offsetMs, text: e.data })),
    ];
    const call = analyzed({ ...f, exchange: { ...f.exchange, streamKind: 'websocket' }, events: [] }, ws);
    expect(call.images!.map((i) => [i.side, i.locator.source, i.locator.seq])).toEqual([
      ['request', 'ws-message', 0],
      ['response', 'ws-message', 5],
      ['response', 'ws-message', 6],
      ['response', 'ws-message', 8],
    ]);
    for (const image of call.images!) {
      const found = base64In(storedText(f, image, ws), image.locator.path);
      expect('base64' in found && bytesOf(found.base64).length).toBe(image.bytes);
    }
  });

  it('finds the images of a Gemini JSON-array stream cut partway in its whole elements, where the viewer finds them too', () => {
    const chunks = [
      { candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: PNG } }] } }] },
      { candidates: [{ content: { parts: [{ text: 'and more' }] } }] },
    ];
    const cut = JSON.stringify(chunks).slice(0, -30);
    const f = { ...fixture('gemini-image-vertex-json.json'), response: undefined };
    const call = analyzeExchange({
      exchange: {
        ...exchangeOf(f),
        state: 'upstream_error',
        request: {
          ...exchangeOf(f).request,
          path: f.exchange.path.replace(':generateContent', ':streamGenerateContent'),
        },
      },
      requestText: JSON.stringify(f.request),
      responseText: cut,
      sseEvents: [],
      wsMessages: [],
    })!;
    const returned = call.images!.filter((i) => i.side === 'response');
    expect(returned).toEqual([
      expect.objectContaining({
        mediaType: 'image/png',
        locator: {
          exchangeId: 7,
          source: 'response-body',
          path: [0, 'candidates', 0, 'content', 'parts', 0, 'inlineData', 'data'],
        },
      }),
    ]);
    const found = base64In(cut, returned[0].locator.path);
    expect('base64' in found && bytesOf(found.base64).length).toBe(returned[0].bytes);
  });

  it('says why an image cannot be read from a body cut when it was stored', () => {
    const f = fixture('gemini-image-vertex-json.json');
    const image = analyzed(f).images!.find((i) => i.side === 'response')!;
    const cut = JSON.stringify(f.response).slice(0, 400);
    expect(base64In(cut, image.locator.path)).toEqual({ missing: 'notJson' });
  });
});
