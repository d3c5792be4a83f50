/** Fans out "these exchanges changed" to live viewers, coalescing bursts per subscriber. */
export class LiveFeed {
  private readonly subscribers = new Set<(ids: number[]) => void>();

  publish(ids: number[]): void {
    for (const subscriber of this.subscribers) subscriber(ids);
  }

  /** Calls `deliver` at most every intervalMs with the ids changed since the last call. */
  subscribe(deliver: (ids: number[]) => void, intervalMs = 100): () => void {
    let pending = new Set<number>();
    let timer: NodeJS.Timeout | null = null;
    const subscriber = (ids: number[]) => {
      for (const id of ids) pending.add(id);
      timer ??= setTimeout(() => {
        timer = null;
        const batch = [...pending];
        pending = new Set();
        deliver(batch);
      }, intervalMs);
    };
    this.subscribers.add(subscriber);
    return () => {
      this.subscribers.delete(subscriber);
      if (timer) clearTimeout(timer);
    };
  }
}
