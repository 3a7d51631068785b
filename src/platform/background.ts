// Periodic work of every process: the hold-expiry sweep and the purge of old idempotency keys.
// Any number of processes may run it at once: the sweep claims rows with SKIP LOCKED.
export interface Periodic {
  name: string;
  everyMs: number;
  run: () => Promise<unknown>;
}

export class BackgroundRunner {
  private timers: NodeJS.Timeout[] = [];
  private running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(private readonly onError: (name: string, error: unknown) => void) {}

  start(tasks: Periodic[]): void {
    for (const task of tasks) {
      let busy = false;
      const timer = setInterval(() => {
        if (busy || this.stopped) return;
        busy = true;
        const run = task
          .run()
          .catch((error) => this.onError(task.name, error))
          .finally(() => {
            busy = false;
            this.running.delete(run);
          });
        this.running.add(run);
      }, task.everyMs);
      timer.unref();
      this.timers.push(timer);
    }
  }

  /** Stops scheduling and waits for runs in flight, so shutdown never cuts a transaction short. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearInterval(timer);
    await Promise.allSettled([...this.running]);
  }
}
