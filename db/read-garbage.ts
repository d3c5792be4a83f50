// A loop that reads a large body row by row makes a Buffer of every row (better-sqlite3 copies
// each blob into a new one) and another of what zlib made of it. Their bytes are malloc'd
// outside V8's heap and freed only when V8 collects the small objects that hold them, which it
// does when its young generation fills: a loop that allocates little JavaScript besides fills it
// after tens of MB of such bytes. bench/memory.ts: the storage thread's malloc arena grew from
// 11 to 31-37 MB while a 300 MB body was packed (none without packing); with a young-generation
// collection every MB, 14-18 MB. Such a collection costs about 70 µs (one per MB read).
import v8 from 'node:v8';
import vm from 'node:vm';

type Collect = () => void;

let young: Collect | null | undefined;

/**
 * V8's young-generation collection, callable from JavaScript. `gc` is given only to contexts made
 * while --expose-gc is set: it is set for one new context and unset at once, so no other context
 * of the process gets it. null if this V8 refuses (a bound then holds only as far as V8 collects).
 */
function youngCollection(): Collect | null {
  if (young !== undefined) return young;
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as ((options: { type: 'minor' }) => void) | undefined;
    young = gc ? () => gc({ type: 'minor' }) : null;
  } catch {
    young = null;
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
  }
  return young;
}

/** Bytes read into short-lived Buffers, counted: past `boundBytes` since the last collection, one more. */
export class ReadGarbage {
  private since = 0;
  private readonly collect: Collect | null;

  constructor(
    private readonly boundBytes = 1024 * 1024,
    collect?: Collect,
  ) {
    this.collect = collect ?? youngCollection();
  }

  /** `bytes` more were read (or made) into Buffers that the caller drops at once. */
  add(bytes: number): void {
    this.since += bytes;
    if (this.since < this.boundBytes) return;
    this.since = 0;
    this.collect?.();
  }
}
