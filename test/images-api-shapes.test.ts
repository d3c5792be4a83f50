// OpenAI's Images API read from its documented shapes (API reference: images/create,
// images/createEdit, images/object, images-streaming), without a network: the dialect by its path,
// an edit's multipart/form-data fields (RFC 7578), streams cut or failed, several images streamed,
// a link kept only when it is http(s); and the viewer's image, rendered by React on the server,
// shows a url image as a link, never as an <img> (which would fetch it).
import i18next, { type i18n as I18n } from 'i18next';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { I18nextProvider, initReactI18next } from 'react-i18next';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { RESOURCES } from '../i18n/index.ts';
import { analyzeExchange } from '../llm/analyze.ts';
import { detectDialect } from '../llm/dialect.ts';
import { responseImages } from '../llm/images.ts';
import type { ModelCall, ModelImage } from '../llm/model-call.ts';
import { formFieldsText } from '../llm/openai-images.ts';
import type { Exchange } from '../model/exchange.ts';
import { ImageThumb } from '../viewer/app/components/ImageThumb.tsx';

// The stored image reader loads the viewer's bundled catalogue (a Vite virtual module): a link is never read.
vi.mock('../viewer/app/image-data.ts', () => ({
  imageBytes: () => {
    throw new Error('a url image is never read');
  },
}));

const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]).toString('base64');

function exchange(path: string, sse: boolean, status = 200): Exchange {
  return {
    id: 3,
    uid: 'images-api',
    request: {
      startedAt: 0,
      clientAddress: '127.0.0.1:1',
      method: 'POST',
      scheme: 'https',
      host: 'api.openai.com',
      port: 443,
      path,
      httpVersion: '1.1',
      headers: [],
    },
    response: { status, statusText: '', httpVersion: '1.1', headers: [] },
    state: 'complete',
    error: null,
    timings: { firstByte: 5, end: 40 },
    requestBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    responseBody: { size: 0, storedSize: 0, truncated: false, encoding: '' },
    streamKind: sse ? 'sse' : null,
    eventCount: 0,
    call: null,
    diagnosis: null,
  } as Exchange;
}

function streamed(request: object, events: [string, object][], path = '/v1/images/generations'): ModelCall {
  return analyzeExchange({
    exchange: exchange(path, true),
    requestText: JSON.stringify(request),
    responseText: null,
    sseEvents: events.map(([event, data], seq) => ({
      seq,
      offsetMs: 10 + seq,
      event,
      id: null,
      data: JSON.stringify(data),
    })),
    wsMessages: [],
  })!;
}

describe('the Images API dialect', () => {
  it('is told by its path, OpenAI and Azure alike, POST only', () => {
    expect(detectDialect('POST', '/v1/images/generations')).toBe('openai-images');
    expect(detectDialect('POST', '/v1/images/edits')).toBe('openai-images');
    expect(detectDialect('POST', '/v1/images/variations')).toBe('openai-images');
    expect(detectDialect('POST', '/openai/deployments/img/images/generations?api-version=2025-04-01-preview')).toBe(
      'openai-images',
    );
    expect(detectDialect('GET', '/v1/images/generations')).toBeNull();
  });
});

describe('an edit sent as multipart/form-data (RFC 7578)', () => {
  const boundary = '----formdata-undici-0123';
  const form = (parts: Buffer[], closed = true) =>
    Buffer.concat([
      ...parts.flatMap((p) => [Buffer.from(`--${boundary}\r\n`), p, Buffer.from('\r\n')]),
      Buffer.from(closed ? `--${boundary}--\r\n` : ''),
    ]);
  // A field's value is UTF-8 text; a file is its bytes.
  const field = (name: string, value: string) =>
    Buffer.from(`Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`, 'utf8');
  const file = (name: string) =>
    Buffer.concat([
      Buffer.from(
        `Content-Disposition: form-data; name="${name}"; filename="fox.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      Buffer.from(PNG, 'base64'),
    ]);

  it('reads its text fields (UTF-8, line breaks kept) and leaves the uploaded files out', () => {
    const body = form([
      field('model', 'gpt-image-1'),
      file('image[]'),
      field('prompt', '给狐狸\r\n戴一顶帽子'),
      file('mask'),
    ]);
    const text = formFieldsText(`multipart/form-data; boundary=${boundary}`, body);
    expect(JSON.parse(text!)).toEqual({ model: 'gpt-image-1', prompt: '给狐狸\r\n戴一顶帽子' });
  });

  it('takes a quoted boundary, and leaves out a last part cut before its delimiter', () => {
    const body = form([field('model', 'dall-e-2'), field('prompt', 'cut here')], false);
    const text = formFieldsText(`multipart/form-data; boundary="${boundary}"`, body.subarray(0, body.length - 6));
    expect(JSON.parse(text!)).toEqual({ model: 'dall-e-2' });
    expect(formFieldsText('application/json', body)).toBeNull();
  });
});

describe('answers', () => {
  it('a url image is kept only as an http(s) link; b64_json beside it is typed by its bytes over output_format', () => {
    const found = responseImages('openai-images', {
      created: 1,
      output_format: 'png',
      data: [
        { url: 'javascript:alert(1)' },
        { url: 'https://example.com/a.png' },
        { b64_json: JPEG },
        // A relay's answer with the image itself in url: read as the data URL it is.
        { url: `data:image/jpeg;base64,${JPEG}` },
      ],
    });
    expect(found.map((i) => [i.index, i.url ?? null, i.mediaType, i.declaredType, i.locator.path])).toEqual([
      [1, 'https://example.com/a.png', null, 'image/png', ['data', 1, 'url']],
      [2, null, 'image/jpeg', 'image/png', ['data', 2, 'b64_json']],
      [3, null, 'image/jpeg', 'image/jpeg', ['data', 3, 'url']],
    ]);
  });

  it('a stream cut after a partial image is cut, not complete; its partial image is still listed', () => {
    const call = streamed({ model: 'gpt-image-1', prompt: 'p', stream: true }, [
      [
        'image_generation.partial_image',
        { type: 'image_generation.partial_image', b64_json: PNG, partial_image_index: 0 },
      ],
    ]);
    expect(call.ending).toBe('truncated');
    expect(call.endingReason).toContain('image_generation.completed');
    expect(call.images?.map((i) => i.partial)).toEqual([0]);
    expect(call.ttftMs).toBe(10);
  });

  it('an error event in the stream fails the call with its message', () => {
    const call = streamed({ model: 'gpt-image-1', prompt: 'p', stream: true }, [
      ['error', { type: 'error', error: { message: 'Image generation failed', code: 'server_error' } }],
    ]);
    expect(call.ending).toBe('error');
    expect(call.endingReason).toContain('Image generation failed');
  });

  it('n images streamed: each completed event is its own image, its partials before it', () => {
    const partial = (i: number) =>
      [
        'image_generation.partial_image',
        { type: 'image_generation.partial_image', b64_json: PNG, partial_image_index: i },
      ] as [string, object];
    const completed = [
      'image_generation.completed',
      { type: 'image_generation.completed', b64_json: PNG, output_format: 'png' },
    ] as [string, object];
    const call = streamed({ model: 'gpt-image-1', prompt: 'p', n: 2, stream: true }, [
      partial(0),
      completed,
      partial(0),
      completed,
    ]);
    expect(call.ending).toBe('complete');
    expect(call.images?.map((i) => [i.index, i.partial ?? null])).toEqual([
      [0, 0],
      [0, null],
      [1, 0],
      [1, null],
    ]);
  });

  it('a 200 whose body is an error (as relays answer) fails the call', () => {
    const call = analyzeExchange({
      exchange: exchange('/v1/images/generations', false),
      requestText: JSON.stringify({ model: 'gpt-image-1', prompt: 'p' }),
      responseText: JSON.stringify({ error: { message: '当前分组上游负载已饱和', type: 'new_api_error' } }),
      sseEvents: [],
      wsMessages: [],
    })!;
    expect(call.ending).toBe('error');
    expect(call.endingReason).toContain('当前分组上游负载已饱和');
  });
});

describe("the viewer's image (React on the server)", () => {
  const i18ns: Partial<Record<'en' | 'zh-CN', I18n>> = {};
  beforeAll(async () => {
    for (const lng of ['en', 'zh-CN'] as const) {
      const i18n = i18next.createInstance().use(initReactI18next);
      await i18n.init({ lng, fallbackLng: 'en', resources: RESOURCES as never, initAsync: false });
      i18ns[lng] = i18n;
    }
  });
  const link: ModelImage = {
    side: 'response',
    mediaType: null,
    declaredType: null,
    bytes: 0,
    holder: 'image',
    index: 0,
    part: null,
    url: 'https://oaidalleapiprodscus.blob.core.windows.net/private/img-1.png?sig=a%3D',
    revisedPrompt: 'A fox asleep in snow',
    locator: { exchangeId: 3, source: 'response-body', path: ['data', 0, 'url'] },
  };
  const html = (lng: 'en' | 'zh-CN') =>
    renderToStaticMarkup(
      createElement(I18nextProvider, { i18n: i18ns[lng]! }, createElement(ImageThumb, { image: link })),
    );

  it('a url image is a link without a referrer, never an <img>, with its revised prompt, in the viewer language', () => {
    const en = html('en');
    expect(en).not.toMatch(/<img/);
    expect(en).toContain(`href="${link.url!.replace(/&/g, '&amp;')}"`);
    expect(en).toContain('rel="noopener noreferrer"');
    expect(en).toContain('A fox asleep in snow');
    expect(en).toContain('wirelog does not fetch it');
    const zh = html('zh-CN');
    expect(zh).not.toMatch(/<img/);
    expect(zh).toContain('wirelog 不会去下载它');
    expect(zh).toContain('第 0 张图片');
  });
});
