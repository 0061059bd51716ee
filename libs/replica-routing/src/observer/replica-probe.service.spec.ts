import type { NodeRegistry } from '../node-registry.service';
import { ReplicaProbe } from './replica-probe.service';

/** A registry of a primary that answers at once and a replica that never answers. */
function registry(primaryAskedAt: number[]): NodeRegistry {
  return {
    names: ['primary', 'replica0'],
    queryable: (name: string) => ({
      query: () => {
        if (name !== 'primary') return new Promise(() => undefined);
        primaryAskedAt.push(Date.now());
        return Promise.resolve({ rows: [{ standby: false, lsn: '0/3000000', lag_seconds: null }] });
      },
    }),
  } as unknown as NodeRegistry;
}

describe('ReplicaProbe', () => {
  it('stamps the primary position no later than it was asked, however long a replica takes', async () => {
    const asked: number[] = [];
    const rows = await new ReplicaProbe(registry(asked)).probeAll(300);
    const primary = rows.find((r) => r.name === 'primary')!;
    expect(primary.lsn).toBe(0x3000000n);
    // The replica's deadline ran out 300 ms after the primary answered: the stamp must not move.
    expect(primary.observedAt).toBeLessThanOrEqual(asked[0]!);
    expect(rows.find((r) => r.name === 'replica0')).toMatchObject({ reachable: false });
  });
});
