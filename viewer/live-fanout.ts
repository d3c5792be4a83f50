export type LiveMessage =
  | { type: 'changed'; ids: number[] }
  | { type: 'cleared' }
  | { type: 'pruned' }
  | { type: 'status' };

/** Fans out "these exchanges changed" (and "all were cleared") to live viewers, coalescing bursts. */
export class LiveFeed {
  private readonly subscribers = new Set<(message: LiveMessage) => void>();

  publish(message: LiveMessage): void {
    for (const subscriber of this.subscribers) subscriber(message);
  }

  /** Calls `deliver` at most every intervalMs with what changed since the last call. */
  subscribe(deliver: (message: LiveMessage) => void, intervalMs = 100): () => void {
    let pending = new Set<number>();
    let timer: NodeJS.Timeout | null = null;
    const subscriber = (message: LiveMessage) => {
      if (message.type === 'status') return deliver(message);
      if (message.type === 'cleared' || message.type === 'pruned') {
        // Changes from before refer to rows that may be gone.
        pending = new Set();
        return deliver(message);
      }
      for (const id of message.ids) pending.add(id);
      timer ??= setTimeout(() => {
        timer = null;
        const ids = [...pending];
        pending = new Set();
        if (ids.length) deliver({ type: 'changed', ids });
      }, intervalMs);
    };
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
      if (timer) clearTimeout(timer);
    };
  }
}
