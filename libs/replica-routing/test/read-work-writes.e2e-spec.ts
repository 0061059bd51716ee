import {
  describeWithNodeControl,
  e2eEnv,
  sql,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import { createNotesTable } from './notes.fixture';
import { harness, type Harness } from './routing.harness';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A read's work may write (a replica refuses it with 25006 and the primary
 * runs it). If the primary's connection dies after the work and before the
 * read's cover is read, the work may have committed: with discovered hosts,
 * waiting out an election must not run it a second time.
 */
describeWithNodeControl('a read whose work writes, and whose connection dies after it', () => {
  let h: Harness;

  beforeAll(async () => {
    await createNotesTable();
    await waitForReplicasToCatchUp();
    const env = e2eEnv();
    h = await harness({
      primary: undefined,
      replicas: undefined,
      hosts: [{ name: 'pg-primary', url: env.primaryUrl }, ...env.replicaUrls],
      discoveryIntervalMs: 600_000,
      electionWaitMs: 3_000,
    });
  });

  afterAll(() => h.close());

  it('is not run again', async () => {
    const body = `read that writes ${Date.now()}`;
    let runs = 0;
    const reading = h.router.read(async (em, node) => {
      await em.query('INSERT INTO lib_notes (body) VALUES ($1)', [body]);
      runs++;
      if (node === 'primary') {
        // The work is done; its connection is lost before the cover can be read.
        const [{ pid }] = await em.query<[{ pid: number }]>('SELECT pg_backend_pid() AS pid');
        await sql('primary', 'SELECT pg_terminate_backend($1)', [pid]);
        await sleep(300);
      }
      return 'written';
    });
    await expect(reading).rejects.toThrow();
    const rows = await sql('primary', 'SELECT id FROM lib_notes WHERE body = $1', [body]);
    expect({ runs, rows: rows.length }).toEqual({ runs: 1, rows: 1 });
  });

  it('is not run again when its connection dies during the work, once a replica refused it as read-only', async () => {
    // A token the replicas have: the read goes to one first, which refuses the INSERT (25006).
    const { position } = await h.router.write((em) => em.query('SELECT 1'));
    await waitForReplicasToCatchUp();
    await h.observe();
    const body = `read that writes, then loses its connection ${Date.now()}`;
    const served: string[] = [];
    const reading = h.router.read(
      async (em, node) => {
        served.push(node);
        await em.query('INSERT INTO lib_notes (body) VALUES ($1)', [body]);
        if (node === 'primary') {
          // Committed (autocommit); the connection is lost before the work is over.
          const [{ pid }] = await em.query<[{ pid: number }]>('SELECT pg_backend_pid() AS pid');
          await sql('primary', 'SELECT pg_terminate_backend($1)', [pid]);
          await sleep(300);
          await em.query('SELECT 1');
        }
        return 'written';
      },
      { token: position },
    );
    await expect(reading).rejects.toThrow();
    const rows = await sql('primary', 'SELECT id FROM lib_notes WHERE body = $1', [body]);
    // A replica first, which refused the INSERT; then the primary, once, and never again.
    expect({ served, rows: rows.length }).toEqual({
      served: [expect.not.stringMatching(/^primary$/), 'primary'],
      rows: 1,
    });
  });
});
