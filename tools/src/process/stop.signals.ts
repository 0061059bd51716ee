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
