import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import type { BenchContext } from './bench.context';
import { fmt, renderTable } from './table.printer';

const WRITES = 200;

export interface TypeormReplication {
  reads: number;
  missing: number;
  missingShare: number;
}

/**
 * Section 6, for comparison: TypeORM's own `replication` (writes on the
 * master, reads on a random slave, no consistency tracking) reading right
 * after a write from replicas 10 ms behind. Last: it delays every replica.
 * It creates a table of its own, so it connects as the owner role.
 */
export async function typeormReplication(ctx: BenchContext): Promise<TypeormReplication> {
  const { cluster } = ctx;
  const names = ctx.replicas.map((r) => r.name);
  const onReplicas = (sql: string) =>
    Promise.all(names.map((r) => cluster.withClient(r, 'postgres', (c) => c.query(sql))));
  await onReplicas("ALTER SYSTEM SET recovery_min_apply_delay = '10ms'");
  await onReplicas('SELECT pg_reload_conf()');
  ctx.say(`TypeORM replication: ${WRITES} times insert on the master, read back on a slave`);
  const owner = cluster.roles.owner;
  const ds = new DataSource({
    type: 'postgres',
    replication: {
      master: { url: cluster.urlAs(owner) },
      slaves: names.map((name) => ({ url: cluster.urlAs(owner, name) })),
    },
  });
  await ds.initialize();
  let missing = 0;
  try {
    await ds.query('CREATE TABLE IF NOT EXISTS bench_notes (id serial PRIMARY KEY)');
    await sleep(500);
    for (let i = 0; i < WRITES; i++) {
      const master = ds.createQueryRunner('master');
      const [row] = (await master.query('INSERT INTO bench_notes DEFAULT VALUES RETURNING id')) as {
        id: number;
      }[];
      await master.release();
      // What find() does under `replication`: a 'slave' runner (DataSource.query() would use the master).
      const slave = ds.createQueryRunner('slave');
      const found = (await slave.query('SELECT 1 FROM bench_notes WHERE id = $1', [
        row!.id,
      ])) as unknown[];
      await slave.release();
      if (found.length === 0) missing++;
    }
  } finally {
    await ds.destroy();
  }
  const result = { reads: WRITES, missing, missingShare: missing / WRITES };
  console.log(
    renderTable({
      title:
        "6. For comparison, TypeORM's built-in `replication`: read right after write, replicas 10 ms behind",
      columns: ['', 'TypeORM replication'],
      rows: [
        ['reads right after a write', fmt.int(WRITES)],
        ['rows missing (stale reads)', `${fmt.int(missing)} (${fmt.pct(result.missingShare)})`],
      ],
      notes: ['this library, section 2: a stale read is one the bench counts; it must be 0'],
    }),
  );
  return result;
}
