// Every body chunk the forwarding thread relays arrived as a Buffer of its own (the TLS socket's
// decrypted bytes, sliced by Node's HTTP parser) whose bytes are malloc'd outside V8's heap and
// freed only when V8 collects the small object that holds them. Relaying allocates little
// JavaScript per chunk, so a 1 MB young generation filled only after 15-20 MB of chunks had gone
// by: bench/memory.ts, the main thread's malloc heap 23-29 MB through the large bodies against 9
// before them. One young-generation collection per few MB relayed, counted for the thread and not
// per exchange (a collection frees every exchange's chunks), costs the same per MB whatever the
// body size, and none for the small requests that make most traffic. Every MB rather than every
// 2: that heap 13 MB instead of 16-17 through those phases once the storage writer no longer kept
// the chunks (db/writer.ts), for one more collection per 2 MB relayed; every 512 KB, 11 MB, and
// the whole run's peak 127-129 MB instead of 130-131 (bench/memory.ts, load 2.4-2.5), for about
// 0.14 ms of collections per MB relayed.
import { ReadGarbage } from '../db/read-garbage.ts';

/** Body bytes relayed between two collections. */
export const FORWARD_GARBAGE_BOUND = 512 * 1024;

/** The forwarding thread's count of chunk bytes relayed (one per thread: each thread has its own heap). */
export const forwardGarbage = new ReadGarbage(FORWARD_GARBAGE_BOUND);
