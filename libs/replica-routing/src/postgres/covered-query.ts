import { codeOf } from '../db-errors.util';
import { coverTail } from './cover-tail';
import type { PgConnection, PgQuery, QueryClass, WireConnection } from './pg-connection';

/** Rows of a statement, as the library reads them. */
export type Rows = { rows: Record<string, unknown>[] };

/**
 * What a cover answered: its rows, or undefined when it gave none: the work's
 * statement failed first (the server skipped the cover), the server session
 * did not hold its named statement (26000: another session behind a pooler,
 * or the work deallocated it; it is parsed again on its next use), or it
 * failed (a cancel, a recovery conflict, a lost connection). The caller then
 * asks for the position, which fails in turn if the connection is gone.
 */
export type CoverAnswer = Rows | undefined;

/** A statement the library sends: text, or a named statement (parsed once per connection). */
export type Statement = string | NamedStatement;

/** A named statement: parsed once per connection. */
export interface NamedStatement {
  readonly name: string;
  readonly text: string;
  /**
   * The name of its one column. Sent as a cover it is not described (no
   * RowDescription to parse on every read): its rows carry this name.
   */
  readonly column: string;
}

/** SQLSTATE 26000, invalid_sql_statement_name: the server session has no such prepared statement. */
function isUnknownStatement(error: unknown): boolean {
  return codeOf(error) === '26000';
}

/** SQLSTATE 42P05, duplicate_prepared_statement: the session has it already (a Parse it answered was lost). */
function isDuplicateStatement(error: unknown): boolean {
  return codeOf(error) === '42P05';
}

/** The covered query class made for each `Query` class seen (one, unless pg is installed twice). */
const coveredClasses = new WeakMap<QueryClass, QueryClass>();

/**
 * Sends the work's first statement with `cover` behind it under one Sync,
 * when node-postgres sends that statement with the extended protocol (it has
 * parameters): the server answers both in one flush and node-postgres handles
 * one query, not two. The work gets what node-postgres would have given it
 * (a promise of its result, or its callback called); the cover's answer comes
 * apart. Both run in one implicit transaction, each statement with its own
 * snapshot under READ COMMITTED: the cover still runs after the work's
 * statement. Undefined when the statement cannot be sent so (a simple-protocol
 * statement, a query object of the caller's, a client without `Query`): send
 * the cover as a statement of its own.
 */
export function sendCovered(
  target: PgConnection,
  args: unknown[],
  cover: NamedStatement,
): { result: unknown; cover: () => CoverAnswer | Promise<CoverAnswer> } | undefined {
  const [config, values, callback] = args;
  if (config === null || config === undefined) return undefined;
  if (typeof (config as { submit?: unknown }).submit === 'function') return undefined;
  const Base = (target.constructor as { Query?: QueryClass }).Query;
  // node-postgres' own Query only (pg-native's has no extended protocol of its own to extend).
  const proto = Base?.prototype as Partial<PgQuery> | undefined;
  if (!Base || typeof proto?._getRows !== 'function' || !proto.requiresPreparation)
    return undefined;
  let Covered = coveredClasses.get(Base);
  if (!Covered) coveredClasses.set(Base, (Covered = coveredQueryClass(Base)));
  const query = new Covered(config, values, callback) as PgQuery & CoverState;
  if (!query.requiresPreparation() || query.rows) return undefined;
  // node-postgres reads a query's own timeout off the object it is given; Query does not copy it.
  const timeout = (config as { query_timeout?: unknown }).query_timeout;
  if (timeout !== undefined) Object.assign(query, { query_timeout: timeout });
  query.cover = cover;
  let result: unknown;
  if (!query.callback)
    result = new Promise((resolve, reject) => {
      query.callback = (error, value) => {
        if (!error) return resolve(value);
        // As node-postgres does: a stack that leads to the caller, not to the socket.
        Error.captureStackTrace(error);
        reject(error);
      };
    });
  (target as unknown as { query(query: PgQuery): unknown }).query(query);
  return { result, cover: () => query.coverAnswer() };
}

/**
 * Sends `statement` on its own (the fallback of {@link sendCovered}), with a
 * callback rather than node-postgres' promise: its answer never rejects (see
 * {@link CoverAnswer}).
 */
export function sendAlone(target: PgConnection, statement: Statement): Promise<CoverAnswer> {
  return new Promise((resolve) => {
    const done = (error: Error | null, result?: Rows) => {
      if (error && typeof statement !== 'string' && isUnknownStatement(error))
        forgetStatement(target, statement.name);
      resolve(error ? undefined : result);
    };
    if (typeof statement === 'string') target.query(statement, done);
    else target.query({ name: statement.name, text: statement.text }, done);
  });
}

/**
 * Makes node-postgres parse the named statement `name` again on its next use:
 * the server session answered that it does not hold it.
 */
function forgetStatement(connection: PgConnection, name: string): void {
  const parsed = connection.connection?.parsedStatements;
  if (parsed) delete parsed[name];
}

interface CoverState {
  cover: NamedStatement;
  /**
   * The cover's answer: itself once it came (it comes before the work's
   * result is delivered, so a read awaits no promise for it), else a promise.
   */
  coverAnswer(): CoverAnswer | Promise<CoverAnswer>;
  /** 0: the work's statement is answered; 1: the cover is; 2: done. */
  phase: number;
  /** This query sent the cover's Parse (and marked it parsed on the connection). */
  parsedHere: boolean;
  coverRows: Record<string, unknown>[];
}

/**
 * A subclass of node-postgres' own `Query`: a pipelining client sends only
 * its own query class. It writes the cover's Parse (first time on the
 * connection), then its Bind and Execute and the Sync in one chunk
 * ({@link coverTail}; no Describe: its one column is named by the statement,
 * and comes as text), and takes the cover's
 * messages for itself once the work's statement is complete.
 */
function coveredQueryClass(Base: QueryClass): QueryClass {
  class CoveredQuery extends Base implements CoverState {
    cover!: NamedStatement;
    phase = 0;
    parsedHere = false;
    coverRows: Record<string, unknown>[] = [];
    private answered: { answer: CoverAnswer } | undefined;
    private waiting: Promise<CoverAnswer> | undefined;
    private wake: ((answer: CoverAnswer) => void) | undefined;

    coverAnswer(): CoverAnswer | Promise<CoverAnswer> {
      if (this.answered) return this.answered.answer;
      return (this.waiting ??= new Promise((resolve) => (this.wake = resolve)));
    }

    /** The first answer stands: what comes after it (a timed-out work's late rows) is not the cover's. */
    private answerCover(answer: CoverAnswer): void {
      if (this.answered) return;
      this.answered = { answer };
      this.wake?.(answer);
    }

    override _getRows(connection: WireConnection, rows?: number): void {
      if (rows) return super._getRows(connection, rows);
      connection.execute({ portal: this.portal, rows });
      const { name, text } = this.cover;
      if (connection.parsedStatements[name] !== text) {
        connection.parse({ name, text, types: [] });
        // Marked when sent: a Parse that fails or is skipped is forgotten (handleError).
        connection.parsedStatements[name] = text;
        this.parsedHere = true;
      }
      // As pg's own _send does: nothing is written on a socket that is closing.
      if (connection.stream.writable) connection.stream.write(coverTail(name));
    }

    override handleRowDescription(msg: unknown): void {
      // The cover is not described: a description after the work's is none of the work's.
      if (this.phase === 0) super.handleRowDescription(msg);
    }

    // Phase 2 takes nothing more: after an error (node-postgres' query_timeout fails the query
    // while the server still answers it) late rows are the work's, never the cover's.
    override handleDataRow(msg: { fields: unknown[] }): void {
      if (this.phase === 0) return super.handleDataRow(msg);
      if (this.phase === 1) this.coverRows.push({ [this.cover.column]: msg.fields[0] ?? null });
    }

    override handleCommandComplete(msg: unknown, connection: WireConnection): void {
      if (this.phase === 0) {
        super.handleCommandComplete(msg, connection);
        this.phase = 1;
        return;
      }
      if (this.phase === 2) return;
      this.phase = 2;
      this.answerCover({ rows: this.coverRows });
    }

    override handleEmptyQuery(connection: WireConnection): void {
      if (this.phase === 0) this.phase = 1;
      super.handleEmptyQuery(connection);
    }

    override handleError(error: Error, connection: WireConnection): void {
      const { name, text } = this.cover;
      if (this.phase === 0) {
        // The work's statement failed: the server skipped the cover, its Parse too.
        if (this.parsedHere) delete connection.parsedStatements[name];
        this.phase = 2;
        this.answerCover(undefined);
        return super.handleError(error, connection);
      }
      // Answered already: the error is the work's (a row it could not parse) or its transaction's.
      if (this.phase === 2) return super.handleError(error, connection);
      // The cover failed after the work's statement completed. A named statement outlives the
      // aborted implicit transaction: it is parsed again only if the session says it lacks it.
      this.phase = 2;
      if (isUnknownStatement(error)) delete connection.parsedStatements[name];
      else if (isDuplicateStatement(error)) connection.parsedStatements[name] = text;
      this.answerCover(undefined);
      // node-postgres sends no ReadyForQuery to a query that failed: the work's result (or the
      // error of a row it could not parse) is delivered as a ReadyForQuery would deliver it.
      super.handleReadyForQuery(connection);
    }
  }
  return CoveredQuery;
}
