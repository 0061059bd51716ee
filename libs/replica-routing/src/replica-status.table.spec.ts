import { replicaStatusesSql } from './replica-status.table';
import { replicaStatusesMigrations } from './typeorm/create-replica-statuses.migration';

describe('replicaStatusesSql', () => {
  it('makes the table under the name given, then adds lag_seconds', () => {
    const [create, lagSeconds] = replicaStatusesSql('my_statuses');
    expect(create).toMatch(/^CREATE TABLE my_statuses \(/);
    expect(lagSeconds).toBe(
      'ALTER TABLE my_statuses ADD COLUMN IF NOT EXISTS lag_seconds double precision',
    );
  });

  it('refuses a name that is not a plain lower-case identifier', () => {
    expect(() => replicaStatusesSql('statuses; DROP TABLE rides')).toThrow(/plain lower-case/);
    expect(() => replicaStatusesMigrations('Statuses')).toThrow(/^replicaStatusesMigration:/);
  });

  it('is what the TypeORM migrations run, one statement each', async () => {
    const ran: string[] = [];
    const runner = { query: (sql: string) => Promise.resolve(void ran.push(sql)) };
    for (const Migration of replicaStatusesMigrations('my_statuses'))
      await new Migration().up(runner as never);
    expect(ran).toEqual(replicaStatusesSql('my_statuses'));
  });
});
