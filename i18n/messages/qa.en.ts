// Engineer QA's strings: the viewer's HAR export cut short by its worker, the search indexer's
// wait, and the storage thread's refusal of a malformed batch.

export const qaEn = {
  harExport: {
    // Written as the last line of a HAR the viewer was streaming: the file is cut there.
    failed:
      'wirelog: the HAR export failed: {{reason}}. This file is incomplete: export it again, or run `wirelog export --har FILE` to see the error.',
    stopped:
      'wirelog: the HAR export stopped (exit code {{code}}) before it ended. This file is incomplete: export it again.',
  },
  // The search index's slice rolled back (db/indexer.ts): what it took waits and is tried again. Said on the console.
  searchWaiting: {
    count: 'indexing {{count}} exchange(s) for search is waiting: {{error}}',
    stored: 'indexing stored exchange(s) for search is waiting: {{error}}',
  },
  // The storage thread refused a batch whose payloads are not where it says (db/event-transport.ts): the thread stops and is started again.
  malformedBatch: 'a batch of captures refers to payload bytes {{from}}-{{to}} of {{size}}',
};
