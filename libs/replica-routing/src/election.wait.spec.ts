import { ElectionWait } from './election.wait';
import { RoutingClosedError } from './exceptions/routing-closed.exception';
import type { ResolvedReplicaRoutingOptions } from './interfaces/replica-routing-options.interface';
import type { TopologyDiscovery } from './topology/topology-discovery.service';
import type { Topology } from './topology/topology.service';

/** An ElectionWait over `hosts` (discovering) whose topology changes on the first wait. */
function electionWait() {
  const topology = { discovering: true, version: 1 };
  const discovery = {
    stopped: false,
    awaitChange: jest.fn(() => {
      topology.version++;
      return Promise.resolve();
    }),
  };
  const wait = new ElectionWait(
    { electionWaitMs: 5_000 } as ResolvedReplicaRoutingOptions,
    topology as unknown as Topology,
    discovery as unknown as TopologyDiscovery,
  );
  return { wait, discovery };
}

const readOnly = { code: '25006', message: 'cannot execute INSERT in a read-only transaction' };

describe('ElectionWait', () => {
  it.each([
    ['as node-postgres throws it', Object.assign(new Error(readOnly.message), readOnly)],
    // TypeORM's QueryFailedError keeps the driver's error under driverError.
    ['wrapped by an ORM', Object.assign(new Error('QueryFailedError'), { driverError: readOnly })],
    ['as a cause', new Error('wrapped', { cause: readOnly })],
  ])(
    'waits out an election when the primary answered as a standby (25006, %s)',
    async (_, error) => {
      const { wait, discovery } = electionWait();
      const once = jest.fn().mockResolvedValueOnce('served');
      await expect(wait.retry(wait.begin(), error, once)).resolves.toBe('served');
      expect(discovery.awaitChange).toHaveBeenCalledTimes(1);
      expect(once).toHaveBeenCalledTimes(1);
    },
  );

  it('waits for nothing once the core is closing: no election will be seen', async () => {
    const { wait, discovery } = electionWait();
    discovery.stopped = true;
    const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const once = jest.fn(() => Promise.reject(down));
    await expect(wait.retry(wait.begin(), down, once)).rejects.toBeInstanceOf(RoutingClosedError);
    expect(once).not.toHaveBeenCalled();
  });

  it('rethrows at once what no election explains (a statement error of the work)', async () => {
    const { wait, discovery } = electionWait();
    const error = Object.assign(new Error('duplicate key'), { code: '23505' });
    const once = jest.fn();
    await expect(wait.retry(wait.begin(), error, once)).rejects.toBe(error);
    expect(discovery.awaitChange).not.toHaveBeenCalled();
    expect(once).not.toHaveBeenCalled();
  });
});
