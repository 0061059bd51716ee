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
});
