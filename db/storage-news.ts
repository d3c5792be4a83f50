// What the console says about storage: one line when its condition changes (behind, caught up,
// failing, recovered, leaving content out, no longer), each with its counts; never one per batch.
// A busy day printed 3,918 lines of "storage fell behind ... left out 0 exchange(s)" in 25 minutes.
// The lines come from the catalogue (storageNews.*), in the language of the translator given.
import { createI18n, type Translate } from '../i18n/index.ts';

/** How far storage is behind: ended exchanges handed to it and not stored yet, and how long the oldest has waited. */
export interface BehindFigures {
  exchanges: number;
  seconds: number;
}

/** What was left out to bound memory, over one episode of leaving out. */
interface Shedding {
  exchanges: number;
  events: number;
  bytes: number;
  bodies: number;
  lastAt: number;
}

/** A shedding episode ends once nothing more was left out for this long and storage is neither behind nor failing. */
const SHEDDING_QUIET_MS = 2000;
/**
 * Storage has caught up once it has kept up this long: on a machine just short of CPU it falls
 * behind and catches up every few seconds (bench/storage-lag.ts: 22 lines in 2 minutes), which is
 * one episode, said as one.
 */
const CAUGHT_UP_AFTER_MS = 5000;

export class StorageNews {
  /** How far behind storage is now; null while it keeps up. */
  behind: BehindFigures | null = null;
  private worst: BehindFigures | null = null;
  /** When storage last was behind, while an episode is open (its caught-up line not said yet). */
  private lastBehindAt: number | null = null;
  private shedding: Shedding | null = null;
  private failing = false;

  constructor(
    private readonly say: (line: string) => void,
    private readonly t: Translate = createI18n('en').t,
  ) {}

  /** How far behind storage is now (null: nothing has waited long), checked on a timer. */
  update(now: BehindFigures | null, at = Date.now()): void {
    if (now && !this.worst) {
      this.say(this.t('storageNews.behind', { exchanges: now.exchanges, seconds: seconds(now.seconds) }));
      this.worst = now;
    } else if (now && this.worst) {
      this.worst = {
        exchanges: Math.max(this.worst.exchanges, now.exchanges),
        seconds: Math.max(this.worst.seconds, now.seconds),
      };
    } else if (!now && this.worst && this.lastBehindAt !== null && at - this.lastBehindAt >= CAUGHT_UP_AFTER_MS) {
      this.say(
        this.t('storageNews.caughtUp', { exchanges: this.worst.exchanges, seconds: seconds(this.worst.seconds) }),
      );
      this.worst = null;
      this.lastBehindAt = null;
    }
    if (now) this.lastBehindAt = at;
    this.behind = now;
    if (this.shedding && !this.worst && !this.failing && at - this.shedding.lastAt >= SHEDDING_QUIET_MS)
      this.stopShedding();
  }

  /** Content left out to bound memory: said once as it starts, counted until it stops. `why`: a line of the catalogue's storageNews.why, in this translator's language. */
  shed(
    left: { exchanges?: number; events?: number; bytes?: number; bodies?: number },
    why: string,
    at = Date.now(),
  ): void {
    if (!left.exchanges && !left.events && !left.bytes && !left.bodies) return;
    if (!this.shedding) {
      this.shedding = { exchanges: 0, events: 0, bytes: 0, bodies: 0, lastAt: at };
      this.say(this.t('storageNews.leaving', { why }));
    }
    const s = this.shedding;
    s.exchanges += left.exchanges ?? 0;
    s.events += left.events ?? 0;
    s.bytes += left.bytes ?? 0;
    s.bodies += left.bodies ?? 0;
    s.lastAt = at;
  }

  /** Storage is failing (the writer says so with its message): it is not "behind" meanwhile. */
  failed(): void {
    this.failing = true;
  }

  /** Storage works again (said by the writer): what was left out meanwhile is summed up. */
  recovered(): void {
    this.failing = false;
    this.stopShedding();
  }

  private stopShedding(): void {
    const s = this.shedding;
    if (!s) return;
    this.shedding = null;
    this.say(
      this.t('storageNews.stoppedLeaving', {
        exchanges: s.exchanges,
        events: s.events,
        bytes: s.bytes,
        bodies: s.bodies,
      }),
    );
  }
}

/** Seconds as the lines say them: a tenth below 10, whole above. */
function seconds(s: number): string {
  return s < 10 ? s.toFixed(1) : String(Math.round(s));
}
