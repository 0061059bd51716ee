import type { EntityManager } from 'typeorm';
import type { ReplicaRouter, ReplicaStatusView } from '@app/replica-routing';
import { DashboardStateService } from './dashboard.state';

describe('DashboardStateService', () => {
  it('answers while the log read waits out an election, with the last numbers known', async () => {
    let reads = 0;
    const router = {
      // A primary read during an election: it waits (here, for ever).
      read: () => {
        reads++;
        return new Promise(() => undefined);
      },
    } as unknown as ReplicaRouter<EntityManager>;
    const view = { list: () => [] } as unknown as ReplicaStatusView;
    const dashboard = new DashboardStateService(view, router);
    await expect(dashboard.state()).resolves.toMatchObject({ nodes: [], log: null });
    await expect(dashboard.state()).resolves.toMatchObject({ log: null });
    // One read at a time: the polls do not pile up behind the one under way.
    expect(reads).toBe(1);
  });

  it('reads the log panel in one statement, on a replica with every commit 2 s old, not on the primary', async () => {
    const calls: { options: Record<string, unknown>; statements: string[] }[] = [];
    const router = {
      read: async (work: (em: unknown) => Promise<unknown>, options: Record<string, unknown>) => {
        const call = { options, statements: [] as string[] };
        calls.push(call);
        const em = {
          query: (text: string) => {
            call.statements.push(text);
            const all = { events: '0', oldest_s: 0, last_seq: '9', total: '3.5', rides: '2' };
            return Promise.resolve([
              { ...all, name: 'consumer0', c_total: '3.5', c_rides: '2', c_last: '9' },
              { ...all, name: 'consumer1', c_total: '1.0', c_rides: '1', c_last: '4' },
            ]);
          },
        };
        return { result: await work(em) };
      },
    } as unknown as ReplicaRouter<EntityManager>;
    const view = { list: () => [] } as unknown as ReplicaStatusView;
    const { log } = await new DashboardStateService(view, router).state();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.statements).toHaveLength(1);
    expect(calls[0]!.options).toMatchObject({ freshWithinMs: 2000 });
    expect(calls[0]!.options.primary).toBeUndefined();
    expect(log).toEqual({
      backlog: 0,
      oldest_s: 0,
      last_seq: '9',
      total: '3.5',
      rides: '2',
      consumers: [
        { name: 'consumer0', total: '3.5', rides: '2', last_seq: '9', lag: '0', agrees: true },
        { name: 'consumer1', total: '1.0', rides: '1', last_seq: '4', lag: '5', agrees: false },
      ],
    });
  });

  it('shows a benched node without the driver error its reason carries (hosts, ports, roles)', async () => {
    const why = (error: string) => `benched for 1.5 s more after 3 failure(s) (${error})`;
    const view = {
      list: () => [
        {
          name: 'replica0',
          why_not: why('connect ECONNREFUSED 10.0.3.7:5432'),
          benched_for_ms: 1500,
        },
        { name: 'replica1', why_not: why('password authentication failed for user "rides_api"') },
        { name: 'replica2', why_not: null },
      ],
    } as unknown as ReplicaStatusView;
    const router = {
      read: () => new Promise(() => undefined),
    } as unknown as ReplicaRouter<EntityManager>;
    const { nodes } = await new DashboardStateService(view, router).state();
    expect(nodes.map((n) => n.why_not)).toEqual([
      'benched for 1.5 s more after 3 failure(s)',
      'benched for 1.5 s more after 3 failure(s)',
      null,
    ]);
  });
});
