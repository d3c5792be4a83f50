import zlib from 'node:zlib';
import { ZstdDecoder } from '../db/zstd-decode.ts';

/** Undoes a Content-Encoding chunk by chunk, as the bytes pass, for what reads a stream's text live. */
export interface StreamDecoder {
  write(chunk: Buffer): void;
  /** The encoded stream ended: the rest is decoded, then `onEnd` runs. */
  end(): void;
  /** The encoded stream broke off: decoding stops and its buffers go now, not at a collection. */
  destroy(): void;
}

/**
 * The most a stream is inflated to, as for a stored body read back: past it decoding stops (a
 * small bomb must not spin a thread for long; zstd's is the forwarding thread).
 */
export const MAX_STREAM_DECODED_BYTES = 64 * 1024 * 1024;

/**
 * A decoder for one Content-Encoding (gzip, deflate, br, zstd), or null for any other value
 * (several codings, one unknown). zlib's decoders run on libuv's thread pool, off the thread
 * that forwards; zstd's (libzstd, db/zstd-decode.ts) in place. A stream that fails to decode
 * stops quietly: its bytes are forwarded and stored as they came whatever happens here.
 */
export function streamDecoder(
  contentEncoding: string,
  onBytes: (bytes: Uint8Array) => void,
  onEnd: () => void,
  /** Decoding stopped for good before the end: past the bound, bytes that do not decode, or destroyed. Once, and never with onEnd. */
  onStop: (why: string) => void = () => undefined,
): StreamDecoder | null {
  const encoding = contentEncoding.trim().toLowerCase();
  let decoded = 0;
  let stopped = false;
  let stream: zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress | null = null;
  const stop = (why: string) => {
    if (stopped) return;
    stopped = true;
    stream?.destroy();
    onStop(why);
  };
  const emit = (bytes: Uint8Array) => {
    if (stopped) return;
    decoded += bytes.length;
    if (decoded > MAX_STREAM_DECODED_BYTES) stop(`decoded past ${MAX_STREAM_DECODED_BYTES / 1024 ** 2} MB`);
    else onBytes(bytes);
  };
  if (encoding === 'zstd') {
    let zstd: ZstdDecoder | null = null;
    const push = (chunk: Uint8Array) => {
      if (stopped) return;
      try {
        zstd ??= new ZstdDecoder();
        zstd.push(chunk, (bytes) => {
          emit(bytes);
          // Thrown out of the decoder, so that the push under way stops at the bound too.
          if (stopped) throw new RangeError('decoded past the bound');
        });
      } catch (err) {
        stop(stopped ? '' : `the ${encoding} stream does not decode: ${(err as Error).message}`);
      }
    };
    return {
      write: (chunk) => push(chunk),
      end: () => {
        if (stopped) return;
        if (zstd && !zstd.complete) return stop(`the ${encoding} stream does not decode: it ends inside a frame`);
        onEnd();
      },
      destroy: () => stop('the stream broke off'),
    };
  }
  const make = zlibDecoder(encoding);
  if (!make) return null;
  const open = (first: Buffer) => {
    stream = make(first);
    stream.on('data', (bytes: Buffer) => emit(bytes));
    stream.on('end', () => !stopped && onEnd());
    stream.on('error', (err) => stop(`the ${encoding} stream does not decode: ${err.message}`));
  };
  // The first bytes, until there are two: deflate's tell a zlib wrapper from raw deflate, and a
  // first chunk of one byte told neither (it was taken as raw, and a wrapped stream failed).
  let head: Buffer | null = null;
  return {
    write(chunk) {
      if (stopped) return;
      if (!stream) {
        head = head ? Buffer.concat([head, chunk]) : chunk;
        if (head.length < 2) return;
        open(head);
        chunk = head;
        head = null;
      }
      stream!.write(chunk);
    },
    end() {
      if (stopped) return;
      if (!stream && head) open(head);
      if (!stream) return void onEnd();
      if (head) stream.write(head);
      head = null;
      stream.end();
    },
    destroy: () => stop('the stream broke off'),
  };
}

/** Whether streamDecoder takes this Content-Encoding. */
export function canDecodeStream(contentEncoding: string): boolean {
  const encoding = contentEncoding.trim().toLowerCase();
  return encoding === 'zstd' || zlibDecoder(encoding) !== null;
}

const SYNC = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

function zlibDecoder(
  encoding: string,
): ((first: Buffer) => zlib.Gunzip | zlib.Inflate | zlib.InflateRaw | zlib.BrotliDecompress) | null {
  switch (encoding) {
    case 'gzip':
    case 'x-gzip':
      return () => zlib.createGunzip(SYNC);
    // Servers send both zlib-wrapped and raw deflate under this name: the first two bytes tell.
    case 'deflate':
      return (first) => (isZlibHeader(first) ? zlib.createInflate(SYNC) : zlib.createInflateRaw(SYNC));
    case 'br':
      return () => zlib.createBrotliDecompress({ finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH });
    default:
      return null;
  }
}

function isZlibHeader(bytes: Buffer): boolean {
  return bytes.length >= 2 && (bytes[0] & 0x0f) === 8 && ((bytes[0] << 8) | bytes[1]) % 31 === 0;
}
