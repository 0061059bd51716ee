/** SQLSTATEs and socket errors meaning "this node cannot serve now", not "this query is wrong". */
const NODE_FAILURE_CODES = new Set([
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, shutting down, not yet consistent)
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** SQLSTATEs that end or cancel one session for what it did, never the node's failure. */
const SESSION_ONLY_CODES = new Set(['40001', '40P01', '25P03', '57P05']);

/** Errors a standby raises when replay wins over a query (docs/design.md, "What each failure does"), and timeouts. */
const RETRY_ELSEWHERE_CODES = new Set([
  '40001', // canceling statement due to conflict with recovery
  '40P01', // buffer-pin deadlock with recovery
  '57014', // query_canceled: statement_timeout
  '25006', // read_only_sql_transaction: the node is (again) a standby
]);

/**
 * feature_not_supported (0A000) as only a standby raises it: serializable
 * mode. Any other 0A000 is the query's own, the same on every node.
 */
const STANDBY_LACKS = /hot standby/i;
const IN_RECOVERY = /recovery is in progress/i;

/**
 * Load, not failure (docs/design.md, "What each failure does"): the node is up
 * but cannot take this one now. Never benches the node; a read goes
 * elsewhere, a write fails fast with a short Retry-After.
 */
const TRANSIENT_CODES = new Set([
  '57P01', // admin_shutdown: this one backend was terminated (pg_terminate_backend)
  '53300', // too_many_connections
  '53400', // configuration_limit_exceeded
  'RR_OVERLOADED', // NodeOverloadedError: this process's queue for the node is full
  'RR_BENCHED', // the node's half-open trial is in flight
]);

const TRANSIENT_MESSAGES = [
  /timeout exceeded when trying to connect/i, // waited for a pooled connection: the pool is busy
];

const NODE_FAILURE_MESSAGES = [
  /connection terminated/i,
  /connection timeout/i,
  /query read timeout/i,
  /not queryable/i,
  /terminating connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /socket hang up/i,
  // The node's pool was closed under this query: its role moved to another host (a failover).
  /cannot use a pool after calling end/i,
];

/** The SQLSTATE of a driver error, or of the driver error an ORM wrapped. */
export function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; driverError?: unknown; cause?: unknown };
  if (typeof e.code === 'string') return e.code;
  return codeOf(e.driverError) ?? codeOf(e.cause);
}

/** The messages of `error` and of the errors it wraps (an ORM's `driverError`, Drizzle's `cause`). */
function messagesOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const messages: string[] = [];
  // A few levels at most: wrappers nest shallowly, and a cycle must not loop.
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; depth++) {
    const wrapped = e as Error & { driverError?: unknown };
    messages.push(wrapped.message);
    if (wrapped.driverError instanceof Error) messages.push(wrapped.driverError.message);
    e = wrapped.cause;
  }
  return messages.join(' ');
}

/**
 * 57P01 also reports the postmaster dying under the backend (a crashed or
 * killed server): that is the node failing, not one connection dropped.
 */
const POSTMASTER_GONE = /unexpected postmaster exit/i;

/** The node is busy or dropped one connection: retry soon or elsewhere, charge nothing. */
export function isTransient(error: unknown): boolean {
  const code = codeOf(error);
  if (code === '57P01' && POSTMASTER_GONE.test(messagesOf(error))) return false;
  if (code !== undefined) return TRANSIENT_CODES.has(code);
  const text = messagesOf(error);
  return TRANSIENT_MESSAGES.some((re) => re.test(text));
}

/** Errors thrown while a connection to a node was being opened ({@link markConnectFailure}). */
const connectFailures = new WeakSet<object>();

/**
 * Marks `error`, thrown while a connection to a node was being opened, as
 * that node's failure unless it is load: no statement of the work ran, so it
 * is not the work's error. A node that refuses this process's login (28P01,
 * 28000), lacks its database (3D000) or fails the TLS handshake cannot serve
 * it, whatever the code says.
 */
export function markConnectFailure(error: unknown): void {
  if (typeof error === 'object' && error !== null && !isTransient(error))
    connectFailures.add(error);
}

/** Whether `error`, or an error it wraps through `cause` (a `PrimaryUnavailableError`'s), passes `test`. */
export function inCauseChain(error: unknown, test: (e: object) => boolean): boolean {
  for (let e = error; typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause)
    if (test(e)) return true;
  return false;
}

/** `error`, or one it wraps, was marked by {@link markConnectFailure}. */
function failedToConnect(error: unknown): boolean {
  return inCauseChain(error, (e) => connectFailures.has(e));
}

/** The node itself is failing (down, restarting, unreachable). Counts against its health. */
export function isNodeFailure(error: unknown): boolean {
  if (isTransient(error)) return false;
  if (failedToConnect(error)) return true;
  const code = codeOf(error);
  // A conflict with recovery, even one that ends the session ("terminating connection due to
  // conflict with recovery"), is replay winning over a query; a session that sat idle past its
  // timeout (25P03 in a transaction, 57P05 outside) was ended for itself: the node is fine.
  if (code !== undefined && SESSION_ONLY_CODES.has(code)) return false;
  if (code && (code.startsWith('08') || NODE_FAILURE_CODES.has(code))) return true;
  const text = messagesOf(error);
  return NODE_FAILURE_MESSAGES.some((re) => re.test(text));
}

/** The session is over: the node failed, or the server ended this one connection (a FATAL). */
export function isSessionEnded(error: unknown): boolean {
  return isNodeFailure(error) || /terminating connection/i.test(messagesOf(error));
}

/**
 * An error the server answered a statement with, its session going on: a
 * SQLSTATE that is neither load nor a node failure (its ReadyForQuery follows).
 */
export function isStatementError(error: unknown): boolean {
  const code = codeOf(error);
  return (
    code !== undefined && /^[0-9A-Z]{5}$/.test(code) && !isTransient(error) && !isNodeFailure(error)
  );
}

/** A read that failed this way may be run again on another node. */
export function isRetryableElsewhere(error: unknown): boolean {
  const code = codeOf(error);
  return (
    isTransient(error) ||
    isNodeFailure(error) ||
    (code !== undefined && RETRY_ELSEWHERE_CODES.has(code)) ||
    needsPrimary(error)
  );
}

/** SQLSTATE 25006 (read_only_sql_transaction): a standby refused a write. */
export function isReadOnlyRefusal(error: unknown): boolean {
  return codeOf(error) === '25006';
}

/**
 * What no standby can run (serializable mode; a WAL control function such as
 * `pg_current_wal_lsn()`, 55000 "recovery is in progress"): every replica
 * would refuse it the same way.
 */
export function needsPrimary(error: unknown): boolean {
  const code = codeOf(error);
  if (code === '55000') return IN_RECOVERY.test(messagesOf(error));
  return code === '0A000' && STANDBY_LACKS.test(messagesOf(error));
}

/** SQLSTATE 25P02: a statement ran in a transaction an earlier statement had aborted. */
export function isAbortedTransaction(error: unknown): boolean {
  return codeOf(error) === '25P02';
}

/** A short description for logs and error messages. */
export function describeError(error: unknown): string {
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return code ? `${code} ${message}` : message;
}
