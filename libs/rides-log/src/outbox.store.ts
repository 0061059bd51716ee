import { parseLsn, type Position } from '@app/replica-routing';
import type { LogEnvelope } from './log.envelope';
import type { OutboxPositions } from './stream.repair';

/** A node-postgres client (the streamer's lease session), as far as the store uses it. */
export interface SqlSession {
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}

/**
 * The primary's timeline and insert position as an unsigned token
 * (`<timeline>:<X/Y>`): at or after every commit visible now.
 */
/** How far the backlog gauge counts (see OutboxStore.backlog). */
export const BACKLOG_COUNT_CAP = 100_000;

const POSITION_TOKEN =
  "('x' || substr(pg_walfile_name(pg_current_wal_insert_lsn()), 1, 8))::bit(32)::int || ':' || pg_current_wal_insert_lsn()::text";

/**
 * An event's time, when it is sequenced: its transaction's commit time
 * (`o.xmin` is the staging transaction: a row lock leaves it) where the
 * server tracks commit timestamps, else the staging insert's clock time.
 */
const COMMITTED_AT =
  "CASE WHEN current_setting('track_commit_timestamp')::bool THEN coalesce(pg_xact_commit_timestamp(o.xmin), o.occurred_at) ELSE o.occurred_at END";

/**
 * When an event was published: when the streamer saw Redis take it (its
 * clock, parameter `at`), but never in the database's future nor before the
 * event's own commit time (clocks differ, and a Date has milliseconds only).
 */
const PUBLISHED_AT = (at: string) => `greatest(occurred_at, least(${at}::timestamptz, now()))`;

// Ordered by the table's seq (a bigint), not this list's text alias of it.
const ENVELOPE_COLUMNS =
  'seq::text AS seq, event_id::text AS event_id, type, version, to_char(occurred_at AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\') AS occurred_at, token, payload::text AS payload';

/** Signs a position for an event's envelope: the API's `ConsistencyTokens.format`. */
export type TokenSigner = (position: Position) => string;

interface EnvelopeRow {
  seq: string;
  event_id: string;
  type: string;
  version: number;
  occurred_at: string;
  token: string;
  payload: string;
}

/**
 * The outbox keeps an event's position unsigned (`<timeline>:<X/Y>`, what
 * the claim's one statement can write); its envelope carries it signed, the
 * same on every re-send. A row that already holds a signed token (written by
 * an earlier streamer) keeps it.
 */
export function signStored(stored: string, sign: TokenSigner): string {
  const match = /^(\d+):([0-9A-F]+\/[0-9A-F]+)$/i.exec(stored);
  return match ? sign({ tli: Number(match[1]), lsn: parseLsn(match[2]!) }) : stored;
}

/**
 * The outbox as the streamer sees it, on its lease session: every statement
 * runs on the session that holds the lease, so a streamer that lost it
 * (its session ended) cannot sequence or mark anything.
 */
export class OutboxStore {
  constructor(
    private readonly db: SqlSession,
    private readonly sign: TokenSigner,
  ) {}

  /**
   * Gives the next seqs, in staging order, to up to `limit` committed events
   * that have none, with the primary's position as their token: read in the
   * statement that found the events, whose snapshot holds their commits, so
   * it covers them. A row still uncommitted is not seen and gets a later seq
   * once it commits. With `published`, it first marks the events up to
   * `published.upTo` as published at `published.at` (what the last round
   * sent). One statement, so one transaction and one round trip. Returns the
   * events sequenced, in seq order.
   */
  async claim(
    limit: number,
    published: { upTo: bigint; at: Date } | null = null,
  ): Promise<LogEnvelope[]> {
    if (!Number.isSafeInteger(limit) || limit < 1) throw new Error(`bad batch size ${limit}`);
    // Each part sees the statement's one snapshot: `marked` only touches rows that have a seq,
    // `found` only rows that have none. `counter` takes the sequence's row lock and moves it by
    // as many events as were found (nothing when none were); `claimed` numbers them from there.
    const { rows } = await this.db.query<EnvelopeRow>(
      `WITH marked AS (
         UPDATE log_outbox SET published_at = ${PUBLISHED_AT('$3')}
          WHERE seq <= $2::bigint AND published_at IS NULL),
       found AS MATERIALIZED (
         SELECT id, row_number() OVER (ORDER BY id) AS ord
           FROM (SELECT id FROM log_outbox WHERE seq IS NULL ORDER BY id LIMIT $1 FOR UPDATE) f),
       counter AS (
         UPDATE log_sequence SET last_seq = last_seq + (SELECT count(*) FROM found)
          WHERE EXISTS (SELECT 1 FROM found)
         RETURNING last_seq - (SELECT count(*) FROM found) AS base),
       at AS MATERIALIZED (SELECT ${POSITION_TOKEN} AS token),
       claimed AS (
         UPDATE log_outbox o SET seq = counter.base + found.ord, token = at.token, occurred_at = ${COMMITTED_AT}
           FROM found, counter, at WHERE o.id = found.id
         RETURNING o.*)
       SELECT ${ENVELOPE_COLUMNS} FROM claimed ORDER BY claimed.seq`,
      [limit, published?.upTo.toString() ?? null, published?.at ?? null],
    );
    return rows.map((r) => this.toEnvelope(r));
  }

  /** Sequenced events not yet marked published, in seq order. */
  async unpublished(limit: number): Promise<LogEnvelope[]> {
    const { rows } = await this.db.query<EnvelopeRow>(
      `SELECT ${ENVELOPE_COLUMNS} FROM log_outbox
        WHERE seq IS NOT NULL AND published_at IS NULL ORDER BY log_outbox.seq LIMIT $1`,
      [limit],
    );
    return rows.map((r) => this.toEnvelope(r));
  }

  /** Published events with `after < seq <= upTo`, in seq order (for a re-publish). */
  async published(after: bigint, upTo: bigint, limit: number): Promise<LogEnvelope[]> {
    const { rows } = await this.db.query<EnvelopeRow>(
      `SELECT ${ENVELOPE_COLUMNS} FROM log_outbox
        WHERE seq > $1 AND seq <= $2 AND published_at IS NOT NULL ORDER BY log_outbox.seq LIMIT $3`,
      [after.toString(), upTo.toString(), limit],
    );
    return rows.map((r) => this.toEnvelope(r));
  }

  /** Marks the events up to `upTo` as published at `at` (when the stream took them). */
  async markPublished(upTo: bigint, at: Date = new Date()): Promise<void> {
    await this.db.query(
      `UPDATE log_outbox SET published_at = ${PUBLISHED_AT('$2')} WHERE seq <= $1 AND published_at IS NULL`,
      [upTo.toString(), at],
    );
  }

  /**
   * Where the log stands, in one statement: the highest seq published (0
   * when none is retained), the last seq this database gave out (0 before
   * any), the lowest position any consumer has reached (null before any
   * consumer has a state), the positions of the consumers the outbox can
   * still serve, and the lowest seq the outbox still holds.
   */
  async positions(): Promise<OutboxPositions> {
    const { rows } = await this.db.query<{
      published: string;
      sequenced: string;
      slowest: string | null;
      reading: string[];
      oldest: string;
    }>(
      `WITH held AS (SELECT coalesce(min(seq), 0) AS oldest FROM log_outbox)
       SELECT (SELECT coalesce(max(seq), 0) FROM log_outbox WHERE published_at IS NOT NULL)::text AS published,
              (SELECT last_seq FROM log_sequence)::text AS sequenced,
              (SELECT min(last_seq) FROM consumer_states)::text AS slowest,
              (SELECT coalesce(array_agg(DISTINCT last_seq ORDER BY last_seq), '{}')::text[]
                 FROM consumer_states, held
                WHERE last_seq >= greatest(held.oldest - 1, 0)) AS reading,
              (SELECT oldest FROM held)::text AS oldest`,
    );
    const row = rows[0]!;
    return {
      published: BigInt(row.published),
      sequenced: BigInt(row.sequenced),
      slowest: row.slowest === null ? null : BigInt(row.slowest),
      reading: row.reading.map((seq) => BigInt(seq)),
      oldest: BigInt(row.oldest),
    };
  }

  /**
   * Deletes published events older than `retentionS` that every consumer has
   * passed; nothing while no consumer has a state. Returns how many.
   */
  async retain(retentionS: number): Promise<number> {
    const { rows } = await this.db.query<{ n: string }>(
      `WITH gone AS (
         DELETE FROM log_outbox
          WHERE published_at < now() - make_interval(secs => $1)
            AND seq <= (SELECT min(last_seq) FROM consumer_states)
          RETURNING 1)
       SELECT count(*)::text AS n FROM gone`,
      [retentionS],
    );
    return Number(rows[0]!.n);
  }

  /**
   * Events waiting to be published (staged or sequenced), counted up to `cap`,
   * and the age of the oldest (the first by id, or by seq once sequenced), in
   * s, each through the partial index of its kind (the staged ones, the
   * sequenced ones not yet published). Bounded, as it runs in every maintenance:
   * after a long Redis outage, a count of the whole backlog could outlast the
   * session's query timeout, and the streamer would never reach a claim.
   */
  async backlog(cap = BACKLOG_COUNT_CAP): Promise<{ events: number; oldestS: number }> {
    const { rows } = await this.db.query<{ n: string; oldest: number | null }>(
      `SELECT least($1, (SELECT count(*) FROM (SELECT 1 FROM log_outbox WHERE seq IS NULL LIMIT $1) u)
                     + (SELECT count(*) FROM (SELECT 1 FROM log_outbox
                                               WHERE seq IS NOT NULL AND published_at IS NULL LIMIT $1) s))::text AS n,
              extract(epoch FROM now() - least(
                (SELECT occurred_at FROM log_outbox WHERE seq IS NULL ORDER BY id LIMIT 1),
                (SELECT occurred_at FROM log_outbox WHERE seq IS NOT NULL AND published_at IS NULL
                  ORDER BY seq LIMIT 1)))::float8 AS oldest`,
      [cap],
    );
    return { events: Number(rows[0]!.n), oldestS: Math.max(0, rows[0]!.oldest ?? 0) };
  }

  private toEnvelope(r: EnvelopeRow): LogEnvelope {
    return {
      seq: BigInt(r.seq),
      eventId: r.event_id,
      type: r.type,
      version: r.version,
      occurredAt: r.occurred_at,
      token: signStored(r.token, this.sign),
      payload: JSON.parse(r.payload) as unknown,
    };
  }
}
