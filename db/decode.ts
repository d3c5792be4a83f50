import { isUtf8 } from 'node:buffer';
import zlib from 'node:zlib';
import { decodeZstd } from './zstd-decode.ts';

export interface DecodedBody {
  data: Buffer;
  /** Why the stored bytes could not be decoded; data is then the raw bytes. */
  error: string | null;
}

/** The most a body is inflated to when read: a small bomb must not fill memory. */
export const MAX_DECODED_BYTES = 64 * 1024 * 1024;

function tooLarge(err: unknown): boolean {
  return err instanceof RangeError || (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE';
}

function decodeOne(data: Buffer, encoding: string, maxBytes: number): Buffer {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return zlib.gunzipSync(data, { maxOutputLength: maxBytes, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    case 'deflate':
      // Servers send both zlib-wrapped and raw deflate under this name.
      try {
        return zlib.inflateSync(data, { maxOutputLength: maxBytes, finishFlush: zlib.constants.Z_SYNC_FLUSH });
      } catch (err) {
        if (tooLarge(err)) throw err;
        return zlib.inflateRawSync(data, { maxOutputLength: maxBytes, finishFlush: zlib.constants.Z_SYNC_FLUSH });
      }
    case 'br':
      return zlib.brotliDecompressSync(data, {
        maxOutputLength: maxBytes,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      });
    case 'zstd':
      return decodeZstd(data, maxBytes);
    case 'identity':
    case '':
      return data;
    default:
      throw new Error(`unknown content-encoding "${encoding}"`);
  }
}

/** Undoes Content-Encoding (possibly several, applied in order) for display, search and export. */
export function decodeBody(raw: Buffer, contentEncoding: string, maxBytes = MAX_DECODED_BYTES): DecodedBody {
  const encodings = contentEncoding
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e && e !== 'identity');
  if (encodings.length === 0 || raw.length === 0) return { data: raw, error: null };
  try {
    let data = raw;
    for (const encoding of encodings.reverse()) data = decodeOne(data, encoding, maxBytes);
    return { data, error: null };
  } catch (err) {
    const reason = tooLarge(err)
      ? `too large to decode (over ${Math.round(maxBytes / 1048576)} MB)`
      : (err as Error).message;
    return { data: raw, error: `could not decode ${contentEncoding}: ${reason}` };
  }
}

const TEXT_TYPES =
  /^(text\/|application\/([\w.+-]*\+)?(json|xml|javascript|ecmascript|x-www-form-urlencoded|x-ndjson|ndjson|jsonl|graphql|yaml|x-yaml|toml|sql)\b|image\/svg\+xml)/i;

/** Types that are never text, whatever their bytes look like. */
export function isBinaryContentType(contentType: string): boolean {
  return /^(image\/(?!svg)|audio\/|video\/|font\/)|octet-stream|protobuf|grpc|zip|pdf/i.test(contentType);
}

/** True when a body can be shown and exported as UTF-8 text. */
export function isTextBody(contentType: string | undefined, data: Buffer): boolean {
  if (data.length === 0) return true;
  if (contentType && TEXT_TYPES.test(contentType.trim())) return isUtf8(data);
  if (contentType && isBinaryContentType(contentType)) return false;
  return isUtf8(data) && !data.subarray(0, 4096).includes(0);
}
