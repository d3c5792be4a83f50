// Stored bytes compressed with what Node 20 has. node:zlib has no zstd before Node 22.15 and
// the zstd packages that install here only decode (fzstd) or fail to build (@mongodb-js/zstd):
// so deflate and brotli. (zstd-napi, libzstd built from source, is a dependency now, for
// re-encoding requests that came zstd-encoded: db/request-reencode.ts; stored rows' codecs are unchanged.) Measured on a Codex turn (npx tsx bench/storage-size.ts prints more):
// a 37 KB request, deflate 6 -> 1,765 bytes in 0.24 ms, brotli 5 -> about 1,300 in 0.25 ms;
// a 39 KB SSE body, deflate -> 3,248, brotli 5 -> about 2,700. Small items (an SSE event's data,
// 150 bytes) hardly compress alone (deflate: 7,246 -> 5,686 for 48 events); with a preset
// dictionary of what such events say (deflate only: Node 20's brotli takes no dictionary) they
// do. So: brotli for large items, deflate with the dictionary for small ones, raw when neither
// saves a tenth. The codec is stored beside the bytes; a codec's meaning (its dictionary
// included) never changes once released: a new dictionary is a new codec number.
import zlib from 'node:zlib';
import { deflateSmall } from './small-deflate.ts';

export const CODEC = {
  /** As they are. Every row stored before schema 14. */
  raw: 0,
  /** Raw deflate, with the preset dictionary below (DICTIONARY_V1). */
  deflateDict1: 1,
  /** Brotli. */
  brotli: 2,
} as const;
export type Codec = (typeof CODEC)[keyof typeof CODEC];

// Below this, an item is stored as it is: its compressed form would not be smaller.
const MIN_COMPRESS = 24;
// From this size brotli, which compresses large JSON and SSE about a fifth better than deflate at the same speed (quality 5).
const BROTLI_FROM = 2048;
const BROTLI_QUALITY = 5;
const SMALL_FIXED_BELOW = 1024;

// What model APIs' stream events and JSON bodies say again and again: deflate finds them here, so
// a 150-byte event is stored in a third of it. Most likely matches last (deflate reaches the end
// of the dictionary with shorter distances).
export const DICTIONARY_V1 = Buffer.from(
  [
    '{"candidates":[{"content":{"parts":[{"text":"',
    '"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":',
    ',"candidatesTokenCount":',
    ',"totalTokenCount":',
    '"modelVersion":"gemini-2.5-flash","responseId":"',
    '{"type":"message_start","message":{"id":"msg_',
    '","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":',
    ',"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}',
    '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"',
    '{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"',
    '{"type":"content_block_stop","index":0}',
    '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":',
    '{"type":"message_stop"}',
    '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"',
    '{"id":"chatcmpl-',
    '","object":"chat.completion.chunk","created":',
    ',"model":"gpt-4o-mini","system_fingerprint":"fp_',
    '","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}',
    '","choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":',
    ',"completion_tokens":',
    ',"total_tokens":',
    '","choices":[{"index":0,"delta":{"reasoning_content":"',
    '","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"',
    '","choices":[{"index":0,"delta":{"content":"',
    '"},"logprobs":null,"finish_reason":null}]}',
    '{"type":"response.created","response":{"id":"resp_',
    '","object":"response","created_at":',
    ',"status":"in_progress","model":"gpt-5-codex","output":[]',
    '{"type":"response.in_progress","response":{"id":"resp_',
    '{"type":"response.output_item.added","output_index":0,"item":{"type":"reasoning","id":"rs_',
    '{"type":"response.output_item.done","output_index":0,"item":{"type":"function_call","id":"fc_',
    '","call_id":"call_',
    '","name":"shell","arguments":"{\\"command\\":[\\"bash\\",\\"-lc\\",\\"',
    '"status":"completed"',
    '{"type":"response.reasoning_summary_text.delta","item_id":"rs_',
    '{"type":"response.function_call_arguments.delta","item_id":"fc_',
    '{"type":"response.output_text.done","item_id":"msg_',
    '{"type":"response.completed","response":{"id":"resp_',
    '"usage":{"input_tokens":',
    ',"input_tokens_details":{"cached_tokens":',
    '},"output_tokens":',
    ',"output_tokens_details":{"reasoning_tokens":',
    '},"total_tokens":',
    '"sequence_number":',
    ',"output_index":0,"content_index":0,"delta":"',
    '","obfuscation":"',
    '{"type":"response.output_text.delta","item_id":"msg_',
    '","output_index":1,"content_index":0,"delta":"',
  ].join(''),
);

/** Bytes as stored, and the codec to read them back with. */
export function packed(data: Buffer): { codec: Codec; data: Buffer } {
  if (data.length < MIN_COMPRESS) return { codec: CODEC.raw, data };
  const small = data.length < BROTLI_FROM;
  // Below 1 KB (SSE events, small answers) in plain JavaScript, the dictionary hashed once: zlib's
  // per-call set-up was most of packing's CPU (db/small-deflate.ts). The same format either way.
  const out = small
    ? data.length < SMALL_FIXED_BELOW
      ? deflateSmall(data, DICTIONARY_V1)
      : zlib.deflateRawSync(data, { dictionary: DICTIONARY_V1 })
    : zlib.brotliCompressSync(data, {
        params: {
          [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
          [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
        },
      });
  // Not worth the work of decoding on every read: the bytes were compressed already (an image, gzip).
  if (out.length > data.length * 0.9) return { codec: CODEC.raw, data };
  return { codec: small ? CODEC.deflateDict1 : CODEC.brotli, data: out };
}

/** The bytes stored with `codec`, as they were before they were packed. */
export function unpacked(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case CODEC.raw:
      return data;
    case CODEC.deflateDict1:
      return zlib.inflateRawSync(data, { dictionary: DICTIONARY_V1 });
    case CODEC.brotli:
      return zlib.brotliDecompressSync(data);
    default:
      throw new Error(
        `stored with codec ${codec}, which this wirelog does not know (a newer wirelog wrote it): upgrade wirelog`,
      );
  }
}
