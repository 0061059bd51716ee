import type { QueryRunner } from 'typeorm';

/** The node-postgres client under a TypeORM query runner, as far as the library uses it. */
export interface PgConnection {
  /** True when the client pipelines: queries are sent at once, answered in order. */
  readonly pipeline?: boolean;
  query(text: string, ...rest: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  /** node-postgres' wire connection; its socket, corked, sends several messages in one write. */
  readonly connection?: { stream?: { cork?(): void; uncork?(): void } };
}

/** Runs `send` with the connection's socket corked: what it sends leaves in one write. */
export function inOneWrite<T>(connection: PgConnection, send: () => T): T {
  const stream = connection.connection?.stream;
  stream?.cork?.();
  try {
    return send();
  } finally {
    stream?.uncork?.();
  }
}

/** A statement that opens a transaction: nothing may be slipped in behind it (see below). */
const OPENS_TRANSACTION = /^\s*(BEGIN|START\s+TRANSACTION)\b/i;

function statementText(query: unknown): string {
  if (typeof query === 'string') return query;
  const text = (query as { text?: unknown } | null)?.text;
  return typeof text === 'string' ? text : '';
}

/**
 * Runs `work` with the statement `behind` sent right after the work's first
 * statement, in the same socket write (a pipelining connection answers them
 * in that order). Resolves with the work's result, how many statements the
 * work sent, and `behind`'s answer (undefined when the work sent none, or
 * when its first statement opens a transaction: `behind` would then run
 * inside it, take its snapshot, and make a `SET TRANSACTION` that must come
 * first fail with 25001). The connection must be this caller's alone
 * meanwhile (a checked-out client).
 */
export async function withStatementBehindFirst<T>(
  connection: PgConnection,
  work: () => Promise<T>,
  behind: string,
): Promise<{
  result: T;
  statements: number;
  answer?: Promise<{ rows: Record<string, unknown>[] }>;
}> {
  const target = connection as { query: PgConnection['query'] };
  const original = target.query;
  let statements = 0;
  let answer: Promise<{ rows: Record<string, unknown>[] }> | undefined;
  const patched: PgConnection['query'] = function (this: unknown, ...args) {
    statements++;
    if (statements > 1 || OPENS_TRANSACTION.test(statementText(args[0])))
      return original.apply(this, args);
    return inOneWrite(connection, () => {
      const first = original.apply(this, args);
      answer = original.call(this, behind);
      void answer.catch(() => undefined);
      return first;
    });
  };
  target.query = patched;
  try {
    const result = await work();
    return { result, statements, answer };
  } finally {
    if (target.query === patched) target.query = original;
  }
}

/** The connected runner's node-postgres client (TypeORM's `databaseConnection`), if any. */
export function connectionOf(runner: QueryRunner): PgConnection | undefined {
  const connection = (runner as unknown as { databaseConnection?: PgConnection })
    .databaseConnection;
  return typeof connection?.query === 'function' ? connection : undefined;
}
