import { sql } from 'kysely';
import type { PoolClient } from 'pg';
import { kyselyAdapter } from './kysely.adapter';

describe('kyselyAdapter', () => {
  const client = {
    query: jest.fn(() => Promise.resolve({ command: 'SELECT', rowCount: 1, rows: [{ x: 1 }] })),
  } as unknown as PoolClient;
  const db = () => kyselyAdapter().bind(client, { node: 'replica0', transaction: false });

  it('refuses the in-flight abort strategies it cannot honour, naming the one it can', async () => {
    const { signal } = new AbortController();
    for (const strategy of ['cancel query', 'kill session'] as const)
      await expect(
        db()
          .selectNoFrom(sql<number>`1`.as('x'))
          .execute({ signal, inflightQueryAbortStrategy: strategy }),
      ).rejects.toThrow(/doesn't support `inflightQueryAbortStrategy`.*"ignore query"/);
    // Nothing reached the connection: no pg_backend_pid() slipped in as the work's first statement.
    expect(client.query).not.toHaveBeenCalled();
  });

  it('runs a query with an abort signal and the default strategy', async () => {
    const { signal } = new AbortController();
    const rows = await db()
      .selectNoFrom(sql<number>`1`.as('x'))
      .execute({ signal });
    expect(rows).toEqual([{ x: 1 }]);
  });

  it('ends, with a transaction inside write(), only the named savepoints opened after it', async () => {
    const calls: string[] = [];
    const savepoints = {
      opened: () => calls.push('opened'),
      released: () => calls.push('released'),
      rolledBack: () => calls.push('rolledBack'),
    };
    const written = kyselyAdapter().bind(
      { query: jest.fn(() => Promise.resolve({ command: 'SAVEPOINT', rows: [] })) } as never,
      { node: 'primary', transaction: true, savepoints },
    );
    // A controlled transaction with a savepoint of its own (an afterCommit() registered in it)...
    const trx = await written.startTransaction().execute();
    const marked = await trx.savepoint('a').execute();
    // ...then another transaction on the same handle, which fails: only its own savepoint goes.
    await written
      .transaction()
      .execute(() => Promise.reject(new Error('a failed step')))
      .catch(() => undefined);
    expect(calls).toEqual(['opened', 'opened', 'opened', 'rolledBack']);
    // Rolling back to 'a' still ends what was registered in it.
    await marked.rollbackToSavepoint('a').execute();
    expect(calls.slice(4)).toEqual(['rolledBack', 'opened']);
  });
});
