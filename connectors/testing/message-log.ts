/** An in-memory list of what a capture server received, with a way to wait for a particular entry. */

export class MessageLog<Entry> {
  private entries: Entry[] = [];
  private readonly waiters = new Set<() => void>();

  push(entry: Entry): void {
    this.entries.push(entry);
    for (const wake of [...this.waiters]) wake();
  }

  all(): Entry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }

  /** Resolves with the first entry (already received or arriving later) that matches, or rejects after `timeoutMs`. */
  waitFor(predicate: (entry: Entry) => boolean = () => true, timeoutMs = 5000): Promise<Entry> {
    const existing = this.entries.find(predicate);
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.entries.find(predicate);
        if (found === undefined) return;
        finish();
        resolve(found);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no matching message received within ${timeoutMs} ms (${this.entries.length} received)`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}
