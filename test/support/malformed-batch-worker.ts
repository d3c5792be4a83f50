// A thread that takes in a batch of captures whose body chunk refers to bytes past its payload
// (db/event-transport.ts decodeEvents), as the storage thread would: the refusal is uncaught and
// stops the thread, as it stops the storage thread (test/storage-error-language.test.ts).
import { decodeEvents } from '../../db/event-transport.ts';

decodeEvents({
  json: JSON.stringify([{ type: 'body-chunk', uid: 'u', side: 'request', atMs: 1, packed: [0, 10] }]),
  buffers: [new Uint8Array(4)],
});
