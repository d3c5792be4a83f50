// OpenAI's Images API through wirelog's gateway, sent by the official openai SDK (its multipart
// edit body included) to an upstream on 127.0.0.1 that answers in the shapes OpenAI documents
// (API reference: images/create, images/createEdit, images-streaming): the stored call names the
// model and the prompt, lists the images returned with their type and size, a URL image as a
// link, and the usage; a moderation refusal is diagnosed as the provider's content filter.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { toFile } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelCall } from '../llm/model-call.ts';
import { base64In, bytesOf } from '../viewer/app/image-base64.ts';
import { startHarness, type Harness } from './support/harness.ts';

// A 1x1 PNG and the first bytes of a WebP: what the bytes say, whatever is declared.
const PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/iZk9HQAAAABJRU5ErkJggg==';
const WEBP = Buffer.from(
  'RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00',
  'latin1',
).toString('base64');
const USAGE = {
  total_tokens: 4210,
  input_tokens: 50,
  output_tokens: 4160,
  input_tokens_details: { text_tokens: 10, image_tokens: 40 },
};
const SIGNED_URL = 'https://oaidalleapiprodscus.blob.core.windows.net/private/org-x/img-1.png?st=2026&sig=abc%3D';

let h: Harness;
let upstream: http.Server;
/** What the upstream received, per path: the raw body and its content type. */
const received: { path: string; type: string; body: Buffer }[] = [];

function sse(res: http.ServerResponse, events: [string, object][]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

beforeAll(async () => {
  h = await startHarness();
  upstream = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      received.push({ path: req.url ?? '', type: req.headers['content-type'] ?? '', body });
      const json = (status: number, value: object) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (req.url === '/v1/images/edits') {
        const streamed = /name="stream"\r\n\r\ntrue\r\n/.test(body.toString('latin1'));
        if (streamed)
          return sse(res, [
            [
              'image_edit.partial_image',
              { type: 'image_edit.partial_image', b64_json: PNG, partial_image_index: 0, output_format: 'png' },
            ],
            [
              'image_edit.completed',
              { type: 'image_edit.completed', b64_json: PNG, output_format: 'png', usage: USAGE },
            ],
          ]);
        return json(200, { created: 1713833628, data: [{ b64_json: PNG }], usage: USAGE });
      }
      const request = JSON.parse(body.toString('utf8') || '{}');
      if (/blocked/.test(request.prompt))
        return json(400, {
          error: {
            message: 'Your request was rejected by the safety system. safety_violations=[violence].',
            type: 'image_generation_user_error',
            param: null,
            code: 'moderation_blocked',
          },
        });
      if (request.stream)
        return sse(res, [
          [
            'image_generation.partial_image',
            { type: 'image_generation.partial_image', b64_json: WEBP, partial_image_index: 0, output_format: 'webp' },
          ],
          [
            'image_generation.partial_image',
            { type: 'image_generation.partial_image', b64_json: WEBP, partial_image_index: 1, output_format: 'webp' },
          ],
          [
            'image_generation.completed',
            { type: 'image_generation.completed', b64_json: WEBP, output_format: 'webp', usage: USAGE },
          ],
        ]);
      if (request.response_format === 'url')
        return json(200, {
          created: 1713833628,
          data: [{ url: SIGNED_URL, revised_prompt: 'A watercolour of a red fox asleep in fresh snow, soft light' }],
        });
      return json(200, {
        created: 1713833628,
        data: [{ b64_json: WEBP }, { b64_json: WEBP }],
        output_format: 'webp',
        size: '1024x1024',
        usage: USAGE,
      });
    });
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  await h?.close();
});

function client(): OpenAI {
  const port = (upstream.address() as AddressInfo).port;
  return new OpenAI({
    apiKey: 'sk-images-000000000001',
    baseURL: `http://127.0.0.1:${h.wirelog.proxy.port}/http/127.0.0.1:${port}/v1`,
    maxRetries: 0,
  });
}

type Detail = {
  modelCall: ModelCall;
  diagnoses: { rule: string }[];
  responseBody: { text: string | null };
};

/** The newest stored exchange, once stored, and what the viewer's API says of it. */
async function newest(): Promise<{ id: number; listImages: number | undefined; model: string | null; detail: Detail }> {
  await h.stored();
  const ex = h.wirelog.reader.list()[0];
  const detail = (await (await fetch(`${h.wirelog.viewer!.url}/api/exchanges/${ex.id}`)).json()) as Detail;
  return { id: ex.id, listImages: ex.call?.images, model: ex.call?.model ?? null, detail };
}

describe('OpenAI Images API through the gateway (openai SDK)', () => {
  it('generations with gpt-image-1: model, prompt, each b64_json image typed by its bytes and sized, usage', async () => {
    const answer = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'a red fox in snow',
      n: 2,
      output_format: 'webp',
    });
    expect(answer.data).toHaveLength(2);
    const { model, listImages, detail } = await newest();
    expect(model).toBe('gpt-image-1');
    expect(listImages).toBe(2);
    const call = detail.modelCall;
    expect(call).toMatchObject({ dialect: 'openai-images', requestedModel: 'gpt-image-1', ending: 'complete' });
    expect(call.conversation).toEqual([{ role: 'user', text: 'a red fox in snow' }]);
    expect(call.usage).toEqual({ input: 50, output: 4160, total: 4210 });
    expect(call.images).toHaveLength(2);
    const bytes = Buffer.from(WEBP, 'base64').length;
    for (const [index, image] of (call.images ?? []).entries()) {
      expect(image).toMatchObject({
        side: 'response',
        mediaType: 'image/webp',
        declaredType: 'image/webp',
        bytes,
        holder: 'image',
        index,
        locator: { source: 'response-body', path: ['data', index, 'b64_json'] },
      });
      // The viewer's own code finds the image where the locator says, and decodes its bytes.
      const found = base64In(detail.responseBody.text, image.locator.path);
      expect('base64' in found && bytesOf(found.base64)).toEqual(new Uint8Array(Buffer.from(WEBP, 'base64')));
    }
  });

  it('dall-e-3 with response_format url: the image is a link with its revised prompt, and wirelog fetches nothing', async () => {
    const before = received.length;
    await client().images.generate({ model: 'dall-e-3', prompt: 'a fox', response_format: 'url' });
    const { listImages, detail } = await newest();
    // The upstream was called once, by the client: nobody followed the link.
    expect(received.length).toBe(before + 1);
    expect(detail.modelCall.images).toEqual([
      expect.objectContaining({
        side: 'response',
        url: SIGNED_URL,
        mediaType: null,
        bytes: 0,
        holder: 'image',
        index: 0,
        revisedPrompt: 'A watercolour of a red fox asleep in fresh snow, soft light',
        locator: expect.objectContaining({ path: ['data', 0, 'url'] }),
      }),
    ]);
    expect(listImages).toBe(1);
    expect(detail.modelCall.usage).toEqual({});
  });

  it('streamed generation: partial images and the completed one, each in its event; usage from the completed event', async () => {
    const stream = await client().images.generate({
      model: 'gpt-image-1',
      prompt: 'a fox, streamed',
      stream: true,
      partial_images: 2,
    });
    const kinds: string[] = [];
    for await (const event of stream) kinds.push(event.type);
    expect(kinds).toEqual([
      'image_generation.partial_image',
      'image_generation.partial_image',
      'image_generation.completed',
    ]);
    const { listImages, detail } = await newest();
    const call = detail.modelCall;
    expect(call).toMatchObject({ dialect: 'openai-images', stream: true, ending: 'complete' });
    expect(call.usage).toEqual({ input: 50, output: 4160, total: 4210 });
    expect(call.ttftMs).not.toBeNull();
    expect(
      call.images?.map((i) => ({
        partial: i.partial,
        seq: i.locator.seq,
        source: i.locator.source,
        type: i.mediaType,
      })),
    ).toEqual([
      { partial: 0, seq: 0, source: 'sse-event', type: 'image/webp' },
      { partial: 1, seq: 1, source: 'sse-event', type: 'image/webp' },
      { partial: undefined, seq: 2, source: 'sse-event', type: 'image/webp' },
    ]);
    // The list counts the final image, not its previews.
    expect(listImages).toBe(1);
  });

  it('an edit (multipart/form-data): model and prompt from its form fields; the uploaded image is not an answer', async () => {
    const upload = await toFile(Buffer.from(PNG, 'base64'), 'fox.png', { type: 'image/png' });
    await client().images.edit({ model: 'gpt-image-1', prompt: 'give the fox a hat', image: [upload, upload] });
    const sent = received[received.length - 1];
    expect(sent.type).toMatch(/^multipart\/form-data; boundary=/);
    const { model, listImages, detail } = await newest();
    expect(model).toBe('gpt-image-1');
    const call = detail.modelCall;
    expect(call).toMatchObject({ dialect: 'openai-images', requestedModel: 'gpt-image-1', ending: 'complete' });
    expect(call.conversation).toEqual([{ role: 'user', text: 'give the fox a hat' }]);
    expect(call.images?.map((i) => [i.side, i.mediaType, i.locator.path])).toEqual([
      ['response', 'image/png', ['data', 0, 'b64_json']],
    ]);
    expect(listImages).toBe(1);
  });

  it('a streamed edit: image_edit.partial_image and image_edit.completed', async () => {
    const upload = await toFile(Buffer.from(PNG, 'base64'), 'fox.png', { type: 'image/png' });
    const stream = await client().images.edit({
      model: 'gpt-image-1',
      prompt: 'a hat, streamed',
      image: upload,
      stream: true,
    });
    for await (const _ of stream);
    const { detail } = await newest();
    const call = detail.modelCall;
    expect(call).toMatchObject({ requestedModel: 'gpt-image-1', stream: true, ending: 'complete' });
    expect(call.conversation[0].text).toBe('a hat, streamed');
    expect(call.images?.map((i) => i.partial)).toEqual([0, undefined]);
    expect(call.usage.total).toBe(4210);
  });

  it('a moderation refusal (400 moderation_blocked) is the provider content filter, with its message', async () => {
    const failure = await client()
      .images.generate({ model: 'gpt-image-1', prompt: 'something blocked' })
      .catch((e: Error) => e);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    const { detail } = await newest();
    expect(detail.modelCall).toMatchObject({ dialect: 'openai-images', ending: 'error' });
    expect(detail.modelCall.endingReason).toContain('rejected by the safety system');
    expect(detail.diagnoses.map((d) => d.rule)).toEqual(['content-filtered']);
  });
});
