/**
 * What a run must undo however it ends (control plane, PostgreSQL, backend workers):
 * run last-registered first, on normal exit, on Ctrl-C / SIGTERM, and when the run's
 * time limit passes. Every run stops by itself.
 */
export class RunCleanup {
  private readonly hooks: Array<{ name: string; fn: () => Promise<void> }> = [];
  private running: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(private readonly log: (line: string) => void) {
    const onSignal = (signal: NodeJS.Signals) => {
      this.log(`${signal}: stopping`);
      void this.run().then(() => process.exit(signal === 'SIGINT' ? 130 : 143));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }

  add(name: string, fn: () => Promise<void>): void {
    this.hooks.unshift({ name, fn });
  }

  /** Ends the whole run (exit code 2) if it is still going after `ms`. */
  limit(ms: number): void {
    this.watchdog = setTimeout(() => {
      this.log(
        `time limit of ${Math.round(
          ms / 60000,
        )} min reached: stopping everything`,
      );
      void this.run().then(() => process.exit(2));
    }, ms);
    this.watchdog.unref();
  }

  run(): Promise<void> {
    this.running ??= (async () => {
      clearTimeout(this.watchdog);
      for (const hook of this.hooks.splice(0)) {
        try {
          await hook.fn();
        } catch (error) {
          this.log(
            `cleanup '${hook.name}' failed: ${
              error instanceof Error ? error.message : String(error)
            }`,
          );
        }
      }
    })();
    return this.running;
  }
}
