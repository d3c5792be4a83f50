// The list's filter indexes an upgrade adds or replaces (schemas 17, 19, 22): what the console says while the storage
// thread builds them after wirelog listens (db/index-build.ts), one index between capture batches.

export const indexBuildEn = {
  console: {
    building:
      'list filters: this upgrade changes the indexes ({{count}} to build, {{dropped}} replaced to drop), one at a time between captures (capture waits for one at most); filters answer meanwhile, more slowly',
    built:
      'list filters: indexes updated in {{seconds}} s ({{count}} built, {{dropped}} dropped); filters use them now',
    failing: 'list filters: an index could not be built yet, it will be tried again: {{error}}',
  },
};

export type IndexBuildMessages = typeof indexBuildEn;
