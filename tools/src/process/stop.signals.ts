/**
 * The signals a launcher stops its whole stack on: SIGINT and SIGTERM, and
 * SIGHUP when it runs in a terminal. A closed terminal would otherwise end the
 * launcher alone, its children running on in process groups of their own.
 * Not without a terminal: `nohup` ignores SIGHUP for the run, and a handler
 * would undo that (the stack would stop when the shell that started it exits).
 */
export function stopSignals(
  tty = Boolean(process.stdin.isTTY || process.stdout.isTTY),
): NodeJS.Signals[] {
  return tty ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM'];
}

/** A signal this soon after the first is its echo (a forward of the same one), not a second. */
const ECHO_MS = 1000;

/**
 * A launcher's stop signals ({@link stopSignals}): `stop` on the first;
 * `force` on one a second or more later (a second Ctrl+C: stop waiting for
 * the children's drain). Returns what removes the handlers.
 */
export function onStopSignals(
  stop: () => void,
  force: (signal: NodeJS.Signals) => void,
  signals = stopSignals(),
): () => void {
  let firstAt = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (firstAt === 0) {
      firstAt = Date.now();
      return stop();
    }
    if (Date.now() - firstAt >= ECHO_MS) force(signal);
  };
  for (const signal of signals) process.on(signal, handler);
  return () => signals.forEach((signal) => process.removeListener(signal, handler));
}
