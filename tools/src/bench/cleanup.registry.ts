type Task = () => Promise<void>;

/**
 * What must be undone however the bench ends (child processes, the observer,
 * the cluster): run newest first, once, on success, on error and on Ctrl+C.
 */
export class CleanupRegistry {
  private readonly tasks: { name: string; run: Task }[] = [];
  private running: Promise<void> | undefined;

  /** Registers `run`; the returned function unregisters it (call it once done by other means). */
  add(name: string, run: Task): () => void {
    const task = { name, run };
    this.tasks.push(task);
    return () => {
      const i = this.tasks.indexOf(task);
      if (i >= 0) this.tasks.splice(i, 1);
    };
  }

  /** Runs every task, newest first; a failing task is reported and the others still run. */
  runAll(): Promise<void> {
    this.running ??= (async () => {
      for (let task = this.tasks.pop(); task; task = this.tasks.pop()) {
        try {
          await task.run();
        } catch (error) {
          console.error(`bench | cleanup of ${task.name} failed:`, error);
        }
      }
    })();
    return this.running;
  }

  /** On SIGINT or SIGTERM: clean up, then exit 130 (a second signal exits at once). */
  exitOnSignals(): void {
    let signalled = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) process.exit(130);
      signalled = true;
      console.error(`bench | ${signal}: stopping the API processes, the observer and the cluster`);
      void this.runAll().finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}
