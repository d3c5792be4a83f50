// The search index: what the console says while it is built from stored exchanges after an
// upgrade or a crash (db/writer-worker.ts), what the viewer says of it (/api/status), and a
// search that found nothing.

export const searchIndexEn = {
  console: {
    building:
      'search index: {{count}} stored exchange(s) are not in it yet (it now also finds Chinese words inside unspaced text, headers, SSE events and WebSocket messages); indexing them in the background, newest first. Search finds only what is indexed meanwhile',
    built: 'search index: {{count}} exchange(s) indexed in {{seconds}} s; search finds all of them now',
    failing: 'search index: indexing is waiting, it will be tried again: {{error}}',
  },
  status: 'Search index being built: {{indexed}} of {{total}} exchanges indexed; search finds only those meanwhile.',
  noMatches: 'no matches',
};

export type SearchIndexMessages = typeof searchIndexEn;
