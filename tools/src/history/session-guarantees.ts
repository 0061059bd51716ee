import {
  tokenBelow,
  tokenOrder,
  type HistoryRecord,
} from '../../../apps/simulator/src/history/history.record';

/** Terry et al.'s four session guarantees (PDIS 1994), as checked here. */
export const GUARANTEES = [
  'read-your-writes',
  'monotonic-reads',
  'monotonic-writes',
  'writes-follow-reads',
] as const;
export type Guarantee = (typeof GUARANTEES)[number];

export interface Violation {
  guarantee: Guarantee;
  client: string;
  detail: string;
}

export interface GuaranteeReport {
  /** Per guarantee: how many pairs of operations were checked, and what broke. */
  checked: Record<Guarantee, number>;
  violations: Violation[];
}

const ok = (r: HistoryRecord) => r.status >= 200 && r.status < 300;
/**
 * A read by id answered "not there" (404): it showed nothing. Not a 410: that
 * refuses the client's token (it names a write a failover lost, or WAL that
 * cannot be checked), an explicit error like a 503, not a silent miss; the
 * chaos runs bound when one may come.
 */
const notThere = (r: HistoryRecord) => r.op === 'read' && r.status === 404;

/**
 * Checks every client's history against the four session guarantees. What
 * a client saw is checked through its content (a ride it wrote must be there,
 * with its distance; one it saw must not vanish) and through the tokens,
 * which order operations in the database's commit order (WAL positions):
 * - read-your-writes: a read after an acknowledged write shows it (by id,
 *   or in a list whose window reaches it) and its token is not below it;
 * - monotonic reads: a read after a read shows every ride the earlier one
 *   showed that its window reaches, and its token is not below the earlier one's;
 * - monotonic writes: a session's acknowledged writes are ordered as it made
 *   them (each token above the last);
 * - writes-follow-reads: a write after a read is ordered after what that
 *   read saw (its token is not below the read's).
 * Only operations that got an answer count: a 2xx, or a read by id answered
 * 404 (it showed nothing: a miss of a ride written before is a violation).
 * Every 2xx must carry a token (the client's way to the next guarantees). A
 * client's operations run one at a time, but for the reads the simulator's
 * users make while a write of theirs is retried: those overlap the write, and
 * the guarantees order only an operation that ended before another began.
 * `lost`: rides a failover lost
 * (asynchronous replication, found on the primary after the run), which no
 * read is expected to show unless its own token claims them (see
 * {@link claims}). A 410 is a violation too when it refuses a token no
 * failover forked below: one of the newest timeline any answer carried, or,
 * with `writesSurvive` (synchronous replication, or no failover at all), a
 * position at or below an acknowledged write's token on its timeline, from
 * any client (that write, and all before it, is in the history).
 */
export function checkSessionGuarantees(
  history: readonly HistoryRecord[],
  lost: ReadonlySet<number> = new Set(),
  { writesSurvive = false }: { writesSurvive?: boolean } = {},
): GuaranteeReport {
  const checked = Object.fromEntries(GUARANTEES.map((g) => [g, 0])) as Record<Guarantee, number>;
  const violations = falseRefusals(history, writesSurvive);
  const byClient = new Map<string, HistoryRecord[]>();
  for (const r of history) byClient.set(r.client, [...(byClient.get(r.client) ?? []), r]);
  for (const [client, records] of byClient) {
    const ops = records.filter((r) => ok(r) || notThere(r)).sort((a, b) => a.start - b.start);
    const fail = (guarantee: Guarantee, detail: string) =>
      violations.push({ guarantee, client, detail });
    const writes: HistoryRecord[] = [];
    let lastRead: HistoryRecord | undefined;
    let lastWrite: HistoryRecord | undefined;
    /** Rides this client has seen present, with the distance seen and the token of that read. */
    const seen = new Map<number, { distance: number; token: string | null }>();
    for (const op of ops) {
      const excused = (ride: number, at: string | null) =>
        lost.has(ride) && !claims(op.tokenSent, at);
      const token = op.tokenReceived;
      if (ok(op) && tokenOrder(token) === null)
        fail(
          op.op === 'write' ? 'read-your-writes' : 'monotonic-reads',
          `${describe(op)} answered ${op.status} without a usable token (${token ?? 'none'})`,
        );
      if (op.op === 'write') {
        if (lastWrite) {
          checked['monotonic-writes']++;
          if (below(token, lastWrite))
            fail(
              'monotonic-writes',
              `write of ride ${op.ride} at ${op.tokenReceived}, after ride ${lastWrite.ride} at ${lastWrite.tokenReceived}`,
            );
        }
        if (lastRead) {
          checked['writes-follow-reads']++;
          if (below(token, lastRead))
            fail(
              'writes-follow-reads',
              `write of ride ${op.ride} at ${op.tokenReceived}, after a read at ${lastRead.tokenReceived}`,
            );
        }
        lastWrite = op;
        writes.push(op);
        continue;
      }
      const shown = shownRides(op);
      // Read-your-writes: every write acknowledged before this read began.
      for (const w of writes.filter((w) => w.end <= op.start)) {
        if (!reaches(op, w.ride!) || excused(w.ride!, w.tokenReceived)) continue;
        checked['read-your-writes']++;
        const distance = shown.get(w.ride!);
        if (distance !== w.distance)
          fail(
            'read-your-writes',
            `${describe(op)} shows ride ${w.ride} as ${distance ?? 'missing'}, written ${w.distance} (token ${w.tokenReceived})`,
          );
        else if (below(token, w))
          fail(
            'read-your-writes',
            `${describe(op)} answered ${op.tokenReceived}, below the write of ride ${w.ride} at ${w.tokenReceived}`,
          );
      }
      // Monotonic reads: what earlier reads showed, and the last one's token.
      for (const [ride, { distance, token: at }] of seen) {
        if (!reaches(op, ride) || excused(ride, at)) continue;
        checked['monotonic-reads']++;
        if (shown.get(ride) !== distance)
          fail('monotonic-reads', `${describe(op)} no longer shows ride ${ride}, seen before`);
      }
      // A read that showed nothing (a 404) has no token to order, nor to carry on.
      if (!ok(op)) continue;
      if (lastRead) checked['monotonic-reads']++;
      if (lastRead && below(token, lastRead))
        fail(
          'monotonic-reads',
          `${describe(op)} answered ${op.tokenReceived}, below an earlier read's ${lastRead.tokenReceived}`,
        );
      // Its answer covers what the client claimed with it: the token it sent.
      if (op.tokenSent !== null) checked['monotonic-reads']++;
      if (tokenBelow(token, op.tokenSent))
        fail(
          'monotonic-reads',
          `${describe(op)} answered ${op.tokenReceived}, below the token it was sent, ${op.tokenSent}`,
        );
      for (const [ride, distance] of shown) seen.set(ride, { distance, token });
      lastRead = op;
    }
  }
  return { checked, violations };
}

/**
 * The 410s that refuse a token no failover forked below: one of the newest
 * timeline any answer carried, or, with `writesSurvive`, a position at or
 * below an acknowledged write's token on its timeline, from any client.
 */
function falseRefusals(history: readonly HistoryRecord[], writesSurvive: boolean): Violation[] {
  // The newest timeline, and per timeline the highest token of an acknowledged write.
  let newest = 0;
  const acked = new Map<number, bigint>();
  for (const r of history) {
    const received = tokenOrder(r.tokenReceived);
    newest = Math.max(newest, received?.tli ?? 0);
    if (r.op !== 'write' || !ok(r) || received?.tli == null) continue;
    if (received.lsn > (acked.get(received.tli) ?? -1n)) acked.set(received.tli, received.lsn);
  }
  const found: Violation[] = [];
  for (const r of history) {
    const sent = tokenOrder(r.tokenSent);
    if (r.status !== 410 || sent?.tli == null) continue;
    const why =
      sent.tli >= newest
        ? 'a token of the newest timeline'
        : writesSurvive && sent.lsn <= (acked.get(sent.tli) ?? -1n)
          ? 'a position an acknowledged write on its timeline covers'
          : undefined;
    if (why)
      found.push({
        guarantee: 'read-your-writes',
        client: r.client,
        detail: `${describe(r)} refused ${r.tokenSent} as lost (410), ${why}`,
      });
  }
  return found;
}

/**
 * Whether token `sent` names the timeline of `at` and a position at or past
 * it. A ride a failover lost is expected of no read, unless the read's own
 * token still claims it so (where it was written, or seen): the API must then
 * refuse that token (410), not answer without the ride.
 */
function claims(sent: string | null, at: string | null): boolean {
  const [x, y] = [tokenOrder(sent), tokenOrder(at)];
  return x !== null && y !== null && x.tli === y.tli && x.lsn >= y.lsn;
}

/** True when `token` is known and below the other operation's received token (timeline first). */
function below(token: string | null, other: HistoryRecord): boolean {
  return tokenBelow(token, other.tokenReceived);
}

/** The rides a read showed present: one by id (when found), or a list's rows. */
function shownRides(op: HistoryRecord): Map<number, number> {
  if (op.op === 'list') return new Map((op.rides ?? []).map((r) => [r.id, r.distance]));
  return op.distance === null || op.distance === undefined || op.ride === undefined
    ? new Map<number, number>()
    : new Map<number, number>([[op.ride, op.distance]]);
}

/**
 * Whether a read would show `ride` if it existed: a read by id, of that ride;
 * a list (newest first), if it returned fewer rows than it asked for or the
 * ride is not older than its last row.
 */
function reaches(op: HistoryRecord, ride: number): boolean {
  if (op.op === 'read') return op.ride === ride;
  const rows = op.rides ?? [];
  if (rows.length < (op.limit ?? Infinity)) return true;
  return ride >= Math.min(...rows.map((r) => r.id));
}

function describe(op: HistoryRecord): string {
  const what = op.op === 'list' ? 'list' : `${op.op} of ride ${op.ride}`;
  return `${what} from ${op.node ?? 'unknown'} at ${new Date(op.start).toISOString()}`;
}

/** The report as a table, a line per guarantee, then up to `examples` violations. */
export function formatReport(report: GuaranteeReport, examples = 10): string[] {
  const lines = ['guarantee            | checked | violations'];
  for (const g of GUARANTEES) {
    const n = report.violations.filter((v) => v.guarantee === g).length;
    lines.push(`${g.padEnd(20)} | ${String(report.checked[g]).padStart(7)} | ${n}`);
  }
  for (const v of report.violations.slice(0, examples))
    lines.push(`  ${v.guarantee} (${v.client}): ${v.detail}`);
  if (report.violations.length > examples)
    lines.push(`  ... and ${report.violations.length - examples} more`);
  return lines;
}
