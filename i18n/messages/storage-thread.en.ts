// The storage thread (db/writer-worker.ts) stopping and being started again (db/writer.ts): the
// console's one line per change, and the storage error /api/status and the banner show meanwhile.

export const storageThreadEn = {
  /** A cause: the worker's own error, or how it exited. */
  exited: 'it exited with code {{code}}',
  /** The status's storage error while it is being started again. */
  restarting:
    'the storage thread stopped ({{cause}}); starting it again (attempt {{attempt}} of {{max}}); captures wait meanwhile',
  /** The console line as it stops. */
  stopped:
    'the storage thread stopped ({{cause}}); starting it again in {{seconds}} s (attempt {{attempt}} of {{max}}); captures wait meanwhile and the traffic still flows',
  /** The console line once the new thread stored what waited. */
  restarted:
    'the storage thread works again: {{resent}} exchange(s) it had not stored were handed to the new one and are stored; {{cut}} exchange(s) open as it stopped are kept up to there and marked interrupted; {{lost}} exchange(s) could not be handed over again',
  /** The status's storage error, and the console line, once it is not started again. */
  gaveUp:
    'the storage thread stopped {{attempts}} time(s) in a row and is not started again ({{cause}}): captures are not stored from now on ({{lost}} exchange(s) lost so far, each counted); the traffic still flows. Restart wirelog',
  /** The new thread marked what the one that stopped left open (its rows say wirelog stopped before they ended). */
  swept: '{{count}} exchange(s) open when the storage thread stopped are now marked interrupted',
  /** An import sent while the thread is being started again. */
  importRefused: 'the storage thread is being started again ({{cause}}); import the file again in a moment',
};

export type StorageThreadMessages = typeof storageThreadEn;
