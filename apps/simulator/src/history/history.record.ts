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
  /** Epoch ms when the operation started (the first attempt) and when its answer arrived. */
  start: number;
  end: number;
}

/** A token's WAL position, for ordering (`[<timeline>:]X/Y[.<signature>]`); null when absent or unreadable. */
export function tokenPosition(token: string | null): bigint | null {
  const match = token
    ? /^(?:\d+:)?([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})(?:\.|$)/.exec(token)
    : null;
  return match ? (BigInt(`0x${match[1]}`) << 32n) + BigInt(`0x${match[2]}`) : null;
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
