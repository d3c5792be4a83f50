// zstd decoding with libzstd itself (zstd-napi, already a dependency for re-encoding requests),
// for stored bodies (db/decode.ts) and for a zstd event stream as it passes (proxy/stream-decoder.ts).
// fzstd decoded them before: it shifted its whole window (as large as a frame's header asked,
// up to 2 GB) once for every block, so a body of a few bytes per block held a thread for minutes
// and a 6-byte header made it allocate and touch 1.9 GB (a 2.4 KB body: 132 s, 2.1 GB resident).
// libzstd keeps its window as a ring (linear in the bytes), and refuses a frame asking for a
// window over the bound before allocating it.
import { createRequire } from 'node:module';

/**
 * RFC 9659: a zstd content coding's window is at most 8 MB (2^23), a requirement for encoders
 * in HTTP; a frame asking for more is not decoded (its bytes are still forwarded and stored).
 */
export const ZSTD_WINDOW_LOG_MAX = 23;

interface DecodeContext {
  setParameter(param: number, value: number): void;
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
}
interface ZstdBinding {
  DCtx: new () => DecodeContext;
  DParameter: { windowLogMax: number };
  dStreamOutSize(): number;
}

let binding: ZstdBinding | null = null;
function zstd(): ZstdBinding {
  binding ??= createRequire(import.meta.url)('zstd-napi/binding') as ZstdBinding;
  return binding;
}

/** What libzstd's refusal of a large window means, said with the rule it follows. */
function explained(err: unknown): Error {
  const message = (err as Error).message ?? String(err);
  return /too much memory/i.test(message)
    ? new Error(`${message}: its window is over the 8 MB RFC 9659 allows a zstd content coding`)
    : new Error(message);
}

/** One zstd stream (frames one after another, skippable ones included), decoded as its bytes come. */
export class ZstdDecoder {
  private readonly context: DecodeContext;
  private readonly out: Buffer;
  /** A frame is begun and not yet ended. */
  private inFrame = false;

  constructor() {
    const z = zstd();
    this.context = new z.DCtx();
    this.context.setParameter(z.DParameter.windowLogMax, ZSTD_WINDOW_LOG_MAX);
    this.out = Buffer.allocUnsafe(z.dStreamOutSize());
  }

  /**
   * Decodes `chunk`, giving each piece of output (a copy) to `onBytes`, which may throw to stop
   * at once; throws when the bytes are not zstd or ask for too large a window.
   */
  push(chunk: Uint8Array, onBytes: (bytes: Buffer) => void): void {
    let input = chunk;
    for (;;) {
      let result: [number, number, number];
      try {
        result = this.context.decompressStream(this.out, input);
      } catch (err) {
        throw explained(err);
      }
      const [left, produced, consumed] = result;
      // libzstd always reads or writes while it has input and room; a call that did neither would spin here.
      if (consumed === 0 && produced === 0 && input.length > 0) throw new Error('the zstd decoder made no progress');
      input = input.subarray(consumed);
      if (consumed > 0 || produced > 0) this.inFrame = left !== 0;
      if (produced > 0) onBytes(Buffer.from(this.out.subarray(0, produced)));
      // Done with this chunk once it is read and libzstd has nothing more to flush (the output was not filled).
      if (input.length === 0 && produced < this.out.length) return;
    }
  }

  /** Whether the bytes so far end where a frame ends (else the stream was cut inside one). */
  get complete(): boolean {
    return !this.inFrame;
  }
}

/** A whole zstd body decoded, up to `maxBytes` (past it a RangeError); an error when it is cut or not zstd. */
export function decodeZstd(data: Uint8Array, maxBytes: number): Buffer {
  const decoder = new ZstdDecoder();
  const parts: Buffer[] = [];
  let size = 0;
  decoder.push(data, (bytes) => {
    size += bytes.length;
    if (size > maxBytes) throw new RangeError(`more than ${maxBytes} bytes when decoded`);
    parts.push(bytes);
  });
  if (!decoder.complete) throw new Error('the zstd data ends inside a frame');
  return Buffer.concat(parts);
}
