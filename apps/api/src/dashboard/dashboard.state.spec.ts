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
});
