/**
 * One operation of a client, as `npm run chaos` and `chaos:ha` write it to
 * their history file (JSON lines) and the session-guarantee checker reads it.
 * A client runs its operations one at a time.
 */
export interface HistoryRecord {
  /** The session: one virtual user. */
  client: string;
  /** `write`: a ride created; `read`: one ride by id; `list`: the client's newest rides. */
  op: 'write' | 'read' | 'list';
  /** The ride written or read (write, read). */
  ride?: number;
  /** Its distance, as written or as read (write, read). */
  distance?: number | null;
  /** What a list returned, newest first, and how many it asked for (list). */
  rides?: { id: number; distance: number }[];
  limit?: number;
  /** The Consistency-Token the client sent, and the one the answer carried. */
  tokenSent: string | null;
  tokenReceived: string | null;
  /** HTTP status (0: no answer). For a write, the final answer after retries with one key. */
  status: number;
  /** Served-By. */
  node: string | null;
  /** Epoch ms ({@link operationTime}) when the operation started (the first attempt) and when its answer arrived. */
  start: number;
  end: number;
}

/**
 * A token's timeline (null when it names none) and WAL position, for ordering
 * (`[<timeline>:]X/Y[.<signature>]`); null when absent or unreadable.
 */
export function tokenOrder(token: string | null): { tli: number | null; lsn: bigint } | null {
  const match = token
    ? /^(?:(\d+):)?([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})(?:\.|$)/.exec(token)
    : null;
  if (!match) return null;
  return {
    tli: match[1] === undefined ? null : Number(match[1]),
    lsn: (BigInt(`0x${match[2]}`) << 32n) + BigInt(`0x${match[3]}`),
  };
}

/**
 * True when token `a` is known to be before token `b`: on an earlier
 * timeline (whatever its position: a failover may have dropped a tail past
 * where the next timeline starts), or on the same one at a lower position.
 * False when either is absent or unreadable.
 */
export function tokenBelow(a: string | null, b: string | null): boolean {
  const [x, y] = [tokenOrder(a), tokenOrder(b)];
  if (!x || !y) return false;
  if (x.tli !== null && y.tli !== null && x.tli !== y.tli) return x.tli < y.tli;
  return x.lsn < y.lsn;
}

/** Parses a history file's text; a line that is not a record is an error naming its number. */
export function parseHistory(text: string): HistoryRecord[] {
  return text
    .split('\n')
    .map((line, i) => [line.trim(), i + 1] as const)
    .filter(([line]) => line !== '')
    .map(([line, n]) => {
      const record = JSON.parse(line) as Partial<HistoryRecord>;
      if (
        typeof record.client !== 'string' ||
        !['write', 'read', 'list'].includes(String(record.op))
      )
        throw new Error(`history line ${n}: not an operation record`);
      return record as HistoryRecord;
    });
}
