import { Logger, type INestApplicationContext } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { validateConfig } from './config.validator';
import { MAX_TIMER_MS } from './timer.limits';

/** How long an app's shutdown may take (validated at boot, like the app's own settings). */
export class ShutdownConfig {
  /**
   * From the first SIGINT, SIGTERM or SIGHUP to the end of the app's close (its
   * connections drained, its hooks run), ms; past it the process exits 1.
   * Under the 30 s an orchestrator usually waits before SIGKILL, so that the
   * process still says why it stopped.
   */
  @Type(() => Number) @IsInt() @Min(100) @Max(MAX_TIMER_MS) SHUTDOWN_TIMEOUT_MS = 25_000;
}

/**
 * The signals that end a process politely (Nest's shutdown hooks took these
 * too, and more). Not SIGQUIT: Ctrl+\ means now, with a core dump.
 */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** A signal this soon after the first is its echo (a supervisor's forward), not a second one. */
const ECHO_MS = 1000;

/**
 * Closes `app` on the first of {@link SIGNALS}, then ends the process by
 * that signal, as Nest's `enableShutdownHooks()` does, with one exit it
 * lacks: a close that outlasts `SHUTDOWN_TIMEOUT_MS` (a hook or a connection
 * that never ends) exits 1, saying so. A signal within a second of the first
 * changes nothing: a supervisor often sends one twice (`nest start` forwards
 * the SIGTERM its process group got too). One later is a second Ctrl+C: the
 * process exits 1 at once, saying so. `config`: validate it at boot with the
 * app's own settings, before anything connects.
 */
export function closeOnSignals(
  app: Pick<INestApplicationContext, 'close'>,
  config: ShutdownConfig = validateConfig(ShutdownConfig),
): void {
  const { SHUTDOWN_TIMEOUT_MS: timeoutMs } = config;
  const log = new Logger('Shutdown');
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first) {
      if (performance.now() - first.at < ECHO_MS) return;
      log.warn(`${signal} while closing after ${first.signal}: exiting now, unclosed`);
      process.exit(1);
    }
    first = { signal, at: performance.now() };
    // Not unref'd: a close stuck on a promise alone (nothing else keeps the loop alive) would
    // otherwise let the process end with 0 as if all went well.
    const deadline = setTimeout(() => {
      log.error(`still closing ${timeoutMs} ms after ${signal} (SHUTDOWN_TIMEOUT_MS): exiting`);
      process.exit(1);
    }, timeoutMs);
    app.close().then(
      () => {
        clearTimeout(deadline);
        for (const s of SIGNALS) process.removeListener(s, onSignal);
        // Ended by the signal, as it would have been without a handler (exit status 128 + n).
        process.kill(process.pid, signal);
      },
      (error: unknown) => {
        const why = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log.error(`closing after ${signal} failed: ${why}`);
        process.exit(1);
      },
    );
  };
  for (const s of SIGNALS) process.on(s, onSignal);
}
