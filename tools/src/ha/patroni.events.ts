/**
 * The few lines of a node's output (Patroni's and its Postgres') worth
 * showing in the launcher's terminal, each as a short sentence; every line
 * still goes to the node's log file. Patroni logs "no action. I am ..." every
 * loop_wait, and Postgres a FATAL for every connection refused while a leader
 * changes: none of that is shown.
 */
const EVENTS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/INFO: initialized a new cluster/, () => 'initialised a new cluster (initdb)'],
  [/INFO: promoted self to leader/, () => 'promoted to leader'],
  [/INFO: replica has been created using (\w+)/, (m) => `cloned from the leader (${m[1]})`],
  [/INFO: Demoting self \((\w+)\)/, (m) => `demoting itself (${m[1]})`],
  [/INFO: running pg_rewind from (\w+)$/, (m) => `rewinding from ${m[1]} (pg_rewind)`],
  [/INFO: pg_rewind exit code=(\d+)/, (m) => `pg_rewind exited with code ${m[1]}`],
  [/INFO: starting after demotion/, () => 'restarting as a replica after demotion'],
  // Patroni's own errors (its timestamps have a comma); Postgres' ERRORs are the clients' business,
  // and while nodes start they are mostly a replica asking for a slot not created yet.
  [/^[\d-]+ [\d:]+,\d+ (?:ERROR|CRITICAL): (.*)/, (m) => `error: ${m[1]}`],
  [/\bPANIC: {2}(.*)/, (m) => `postgres panic: ${m[1]}`],
];

/** The sentence to show for `line`, or undefined to leave it in the log file only. */
export function patroniEvent(line: string): string | undefined {
  for (const [pattern, say] of EVENTS) {
    const match = pattern.exec(line);
    if (match) return say(match);
  }
  return undefined;
}
