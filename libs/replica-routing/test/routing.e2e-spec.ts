import {
  InvalidConsistencyTokenError,
  NoTransactionError,
  PRIMARY_NODE,
  formatLsn,
  parseLsn,
  type Lsn,
} from '../src';
import {
  pauseReplay,
  replicaNames,
  resumeReplay,
  sql,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { createNotesTable, findNote, insertNote } from './notes.fixture';
import { TEST_STATUS_TABLE, harness, type Harness } from './routing.harness';

describe('ReplicaRouter against a primary and streaming replicas (forRoot)', () => {
  let h: Harness;

  beforeAll(async () => {
    await createNotesTable();
    await waitForReplicasToCatchUp();
    h = await harness({ replicaWaitMs: 100 });
    await h.observe();
  });

  afterAll(async () => {
    await resumeReplay().catch(() => undefined);
    await h.close();
  });

  it('reads every write back at once from a replica that has replayed it', async () => {
    const servedBy = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { result: id, token } = await h.router.write((em) => insertNote(em, `note ${i}`));
      expect(token).not.toBeNull();
      const read = await h.router.read((em) => findNote(em, id), { token });
      expect(read.result).toBe(`note ${i}`);
      expect(read.token! >= token!).toBe(true);
      servedBy.add(read.servedBy);
    }
    expect([...servedBy].some((n) => n !== PRIMARY_NODE)).toBe(true);
  });

  it('serves fresh writes from the primary while replay is paused everywhere, and replicas again after', async () => {
    await pauseReplay();
    try {
      const { result: id, token } = await h.router.write((em) => insertNote(em, 'while paused'));
      const read = await h.router.read((em) => findNote(em, id), { token, waitMs: 20 });
      expect(read).toMatchObject({ result: 'while paused', servedBy: PRIMARY_NODE });
    } finally {
      await resumeReplay();
    }
    await waitForReplicasToCatchUp();
    await h.observe();
    const { result: id, token } = await h.router.write((em) => insertNote(em, 'after resume'));
    const reads = await Promise.all(
      Array.from({ length: 10 }, () => h.router.read((em) => findNote(em, id), { token })),
    );
    expect(reads.every((r) => r.result === 'after resume')).toBe(true);
    expect(reads.some((r) => r.servedBy !== PRIMARY_NODE)).toBe(true);
  });

  it('never trusts a cached position over the replica itself', async () => {
    // Pause one replica, then let the cache believe it is far ahead: the read's own
    // check on the replica's connection must still refuse it.
    const [victim] = replicaNames();
    await pauseReplay([victim!]);
    try {
      const { result: id, token } = await h.router.write((em) => insertNote(em, 'cache lies'));
      // Newer than what the cache holds, and within the 1 s a router lets clocks disagree by.
      await sql(
        'primary',
        `UPDATE ${TEST_STATUS_TABLE} SET last_lsn = 'FFFFFFF/0', observed_at = now() + interval '500 ms' WHERE name = $1`,
        [victim],
      );
      const others = replicaNames().slice(1);
      await pauseReplay(others);
      try {
        await h.routing.refresher.refresh();
        const read = await h.router.read((em) => findNote(em, id), { token, waitMs: 0 });
        expect(read.result).toBe('cache lies');
        expect(read.servedBy).toBe(PRIMARY_NODE);
      } finally {
        await resumeReplay(others);
      }
    } finally {
      await resumeReplay([victim!]);
      await sql('primary', `DELETE FROM ${TEST_STATUS_TABLE}`);
      await waitForReplicasToCatchUp();
      await h.observe();
    }
  });

  describe('scopes', () => {
    it('onPrimary sends every read of the scope, nested ones too, to the primary', async () => {
      const nodes = await h.router.onPrimary(async () => {
        const a = await h.router.read((em) => em.query('SELECT 1'));
        const { result: b } = await h.router.withConsistency(null, () =>
          h.router.read((em) => em.query('SELECT 1')),
        );
        return [a.servedBy, b.servedBy];
      });
      expect(nodes).toEqual([PRIMARY_NODE, PRIMARY_NODE]);
    });

    it('withConsistency carries the token to every read and hands back the clock', async () => {
      const { result: id, token } = await h.router.write((em) => insertNote(em, 'scoped'));
      const { result, token: clock } = await h.router.withConsistency(token, async () => {
        const first = await h.router.read((em) => findNote(em, id));
        const second = await h.router.read((em) => findNote(em, id));
        return [first.result, second.result];
      });
      expect(result).toEqual(['scoped', 'scoped']);
      expect(clock! >= token!).toBe(true);
    });

    it('a write inside a read scope goes to the primary and raises the scope', async () => {
      const { result, token } = await h.router.withConsistency('0/1', async () => {
        const written = await h.router.write((em) => insertNote(em, 'in scope'));
        expect(written.servedBy).toBe(PRIMARY_NODE);
        return (await h.router.read((em) => findNote(em, written.result))).result;
      });
      expect(result).toBe('in scope');
      expect(token! > parseLsn('0/1')).toBe(true);
    });

    it('reads inside a write see its uncommitted rows on the same connection', async () => {
      const { result } = await h.router.write(async (em) => {
        const id = await insertNote(em, 'uncommitted');
        const inside = await h.router.read((m) => findNote(m, id));
        const outside = await sql('primary', 'SELECT 1 FROM lib_notes WHERE id = $1', [id]);
        return { inside, outside: outside.length };
      });
      expect(result).toEqual({
        inside: { result: 'uncommitted', servedBy: PRIMARY_NODE, token: null, position: null },
        outside: 0,
      });
    });
  });

  describe('callbacks', () => {
    it('runs afterCommit once the row is committed, afterRollback on failure', async () => {
      const events: string[] = [];
      const { result: id } = await h.router.write(async (em) => {
        const id = await insertNote(em, 'callback');
        h.router.afterCommit(async () => {
          const seen = await sql('primary', 'SELECT 1 FROM lib_notes WHERE id = $1', [id]);
          events.push(`commit visible=${seen.length}`);
        });
        h.router.afterRollback(() => events.push('rollback'));
        return id;
      });
      expect(id).toBeGreaterThan(0);
      await expect(
        h.router.write(async (em) => {
          h.router.afterCommit(() => events.push('never'));
          h.router.afterRollback(() => events.push('rollback'));
          await insertNote(em, 'doomed');
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      expect(events).toEqual(['commit visible=1', 'rollback']);
    });

    it('refuses callbacks outside a write', () => {
      expect(() => h.router.afterCommit(() => undefined)).toThrow(NoTransactionError);
    });
  });

  describe('client tokens', () => {
    it('accepts a position the primary has reached', async () => {
      const { token, position } = await h.router.write((em) => insertNote(em, 'token'));
      await expect(h.router.acceptClientToken(formatLsn(token!))).resolves.toEqual(position);
      // The form with the timeline names the same position.
      await expect(
        h.router.acceptClientToken(`${position!.tli}:${formatLsn(token!)}`),
      ).resolves.toEqual(position);
    });

    it('settles a pending token into the scope that asks, and every scope around it', async () => {
      const { token, position } = await h.router.write((em) => insertNote(em, 'pending'));
      const context = h.routing.context;
      await context.run({ pendingToken: formatLsn(token!) }, (outer) =>
        context.run({}, async (inner) => {
          expect(inner.unsettled).toBe(true);
          await h.router.settleClientToken();
          expect(inner.unsettled).toBe(false);
          expect(inner.position).toEqual(position);
          expect(outer.position).toEqual(position);
        }),
      );
    });

    it('rejects one ahead of the primary, and garbage', async () => {
      await expect(h.router.acceptClientToken('FFFFFFFF/FFFFFFFF')).rejects.toThrow(
        InvalidConsistencyTokenError,
      );
      await expect(h.router.acceptClientToken("0/1'; DROP TABLE x")).rejects.toThrow(
        InvalidConsistencyTokenError,
      );
    });
  });

  it('sends tokenless reads to the primary by default', async () => {
    await expect(h.router.read((em) => em.query('SELECT 1'))).resolves.toMatchObject({
      servedBy: PRIMARY_NODE,
    });
  });

  it('hands out increasing tokens to successive writes', async () => {
    const tokens: Lsn[] = [];
    for (let i = 0; i < 5; i++)
      tokens.push((await h.router.write((em) => insertNote(em, 'x'))).token!);
    expect([...tokens].sort((a, b) => (a < b ? -1 : 1))).toEqual(tokens);
  });
});
