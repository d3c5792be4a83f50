// The list's filter indexes an upgrade adds (schema 17): what the console says while the storage
// thread builds them after wirelog listens (db/index-build.ts), one index between capture batches.

export const indexBuildEn = {
  console: {
    building:
      'list filters: building {{count}} index(es) this upgrade added, one at a time between captures (capture waits for one at most); filters answer meanwhile, more slowly',
    built: 'list filters: {{count}} index(es) built in {{seconds}} s; filters use them now',
    failing: 'list filters: an index could not be built yet, it will be tried again: {{error}}',
  },
};

export type IndexBuildMessages = typeof indexBuildEn;
