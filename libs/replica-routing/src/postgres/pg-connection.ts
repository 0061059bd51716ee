import type { PoolClient } from 'pg';
import { countRouted, type QueryCount } from '../query-count';

/** A checked-out node-postgres client, with what the library reads of its internals. */
export type PgConnection = PoolClient & {
  /** True when the client pipelines: queries are sent at once, answered in order. */
  readonly pipeline?: boolean;
  /** node-postgres' wire connection; its socket, corked, sends several messages in one write. */
  readonly connection?: { stream?: { cork?(): void; uncork?(): void } };
  /** The status byte of the last ReadyForQuery: `I` idle, `T` in a transaction, `E` in a failed one. */
  getTransactionStatus?(): string | null;
};

type Rows = { rows: Record<string, unknown>[] };

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
 * The client as one work sees it, for the length of that work: what an
 * adapter binds its ORM to. Every statement is counted as routed work;
 * `release` is the library's, not the work's; and once the work is over the
 * view is revoked, so a handle kept past its work fails instead of running
 * on a connection lent to someone else. The real client is never altered.
 */
export class ClientView {
  /** Statements the work sent. */
  statements = 0;
  readonly client: PoolClient;
  private readonly revokeProxy: () => void;
  private behind: { sql: string; answer?: Promise<Rows> } | undefined;

  constructor(
    private readonly target: PgConnection,
    count: QueryCount,
  ) {
    const query = (...args: unknown[]): unknown => {
      this.statements++;
      countRouted(count, true);
      const call = () => (target.query as (...a: unknown[]) => unknown)(...args);
      const behind = this.behind;
      if (!behind || this.statements > 1 || OPENS_TRANSACTION.test(statementText(args[0])))
        return call();
      return inOneWrite(target, () => {
        const first = call();
        behind.answer = target.query(behind.sql);
        void behind.answer.catch(() => undefined);
        countRouted(count, false);
        return first;
      });
    };
    const { proxy, revoke } = Proxy.revocable(target, {
      get: (t, key) => {
        if (key === 'query') return query;
        if (key === 'release') return () => undefined;
        const value = Reflect.get(t, key, t) as unknown;
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(t)
          : value;
      },
      set: (t, key, value) => Reflect.set(t, key, value, t),
    });
    this.client = proxy;
    this.revokeProxy = revoke;
  }

  /**
   * Sends `sql` right after the work's first statement, in the same socket
   * write (a pipelining connection answers them in that order); its answer
   * is `behindAnswer()` (undefined when the work sent none, or when its
   * first statement opens a transaction: `sql` would then run inside it,
   * take its snapshot, and make a `SET TRANSACTION` that must come first
   * fail with 25001).
   */
  sendBehindFirst(sql: string): void {
    this.behind = { sql };
  }

  behindAnswer(): Promise<Rows> | undefined {
    return this.behind?.answer;
  }

  /** Ends the view: the work's handle can no longer reach the connection. */
  revoke(): void {
    this.revokeProxy();
  }
}
