// What the console says about storage as its condition changes (db/storage-news.ts): behind,
// caught up, leaving content out to bound memory and why, no longer. One line per change.

export const storageNewsEn = {
  behind:
    'storage is behind: {{exchanges}} ended exchange(s) not stored yet, the oldest {{seconds}} s ago; rows show late (nothing is lost while it catches up)',
  caughtUp: 'storage caught up (it was behind by up to {{exchanges}} exchange(s) / {{seconds}} s)',
  leaving:
    'storage is leaving content out to bound memory because {{why}}; each exchange affected says so in its notes, and the traffic itself is forwarded whole',
  stoppedLeaving:
    'storage stopped leaving content out: in all {{exchanges}} exchange(s) left out whole, {{events}} SSE event(s) or WebSocket message(s), {{bytes}} byte(s), and the rest of {{bodies}} body(ies)',
  /** Why content is left out (the {{why}} above). */
  why: {
    failing: 'storage is failing',
    noRoom: 'storage had no room for more body bytes for {{seconds}} s',
    fellBehind: 'storage fell behind by more than {{size}} of captures',
    failingTooLong: 'storage has been failing for too long',
  },
};

export type StorageNewsMessages = typeof storageNewsEn;
