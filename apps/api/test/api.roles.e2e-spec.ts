import {
  e2eEnv,
  replicaNames,
  sql,
  waitForReplicasToCatchUp,
} from '../../../test/e2e/cluster.control';
import request from 'supertest';
import {
  createRider,
  startApi,
  startObserver,
  writeAndReadBack,
  type RunningApi,
} from './api.harness';

/** The `application_name` each app's pools send (apps/api/src/config, apps/observer/src). */
const APPS = { 'rocket-rides-api': 'api', 'rocket-rides-observer': 'observer' } as const;

interface Session {
  app: keyof typeof APPS;
  usename: string;
  rolsuper: boolean;
}

describe('the apps log in as their own roles', () => {
  const { roles } = e2eEnv();
  let api: RunningApi;
  let observer: { close(): Promise<void> };

  beforeAll(async () => {
    observer = await startObserver();
    api = await startApi();
  });

  afterAll(async () => {
    await api?.close();
    await observer?.close();
  });

  it('the API signs up, writes a ride and reads it back from a replica, as its role', async () => {
    const rider = await createRider(api.url);
    const { written, read } = await writeAndReadBack(api.url, rider, 4.2);
    expect(read.body).toMatchObject({ id: written.body.id as number, distance: 4.2 });
    // Once the replicas have it, its role reads it there (the first read may have been the primary's).
    await waitForReplicasToCatchUp();
    const again = await request(api.url)
      .get(`/rides/${written.body.id as number}`)
      .set(rider.auth)
      .set('Consistency-Token', written.headers['consistency-token'] as string)
      .expect(200);
    expect(again.body).toMatchObject({ distance: 4.2 });
    expect(replicaNames()).toContain(again.headers['served-by']);
  });

  it('every connection of the api and the observer is its own role, never a superuser', async () => {
    const sessionsNow = async () => {
      const found: Session[] = [];
      for (const node of ['primary', ...replicaNames()]) {
        found.push(
          ...(await sql<Session>(
            node,
            `SELECT a.application_name AS app, a.usename, r.rolsuper
               FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
              WHERE a.application_name = ANY($1)`,
            [Object.keys(APPS)],
          )),
        );
      }
      return found;
    };
    // Both apps connect on their own schedule (the observer's first tick on a busy machine).
    let sessions = await sessionsNow();
    for (let i = 0; i < 50 && new Set(sessions.map((s) => s.app)).size < 2; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      sessions = await sessionsNow();
    }
    expect(new Set(sessions.map((s) => s.app))).toEqual(new Set(Object.keys(APPS)));
    for (const s of sessions) {
      expect(s).toEqual({ app: s.app, usename: roles[APPS[s.app]].user, rolsuper: false });
    }
  });
});
