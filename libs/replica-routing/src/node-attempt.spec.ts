import { NotPrimaryError } from './exceptions/node-state.exceptions';
import { PrimaryUnavailableError } from './exceptions/primary-unavailable.exception';
import { attempt } from './node-attempt';
import { NodeState } from './node-state.service';
import { resolveOptions } from './replica-routing.options';
import { Topology } from './topology/topology.service';

const reset = () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });

describe('attempt', () => {
  const options = resolveOptions({
    hosts: ['a', 'b'].map((name) => ({ name, url: 'postgres://h' })),
  });
  let topology: Topology;
  let state: NodeState;

  beforeEach(() => {
    topology = new Topology(options);
    state = new NodeState(options, topology);
    topology.apply({ primary: 'a', replicas: [], timeline: 1 });
  });

  it('benches the primary that failed it', async () => {
    await expect(attempt(state, 'primary', () => Promise.reject(reset()))).rejects.toBeInstanceOf(
      PrimaryUnavailableError,
    );
    expect(state.isBenched('primary')).toBe(true);
  });

  it('benches a primary that shows it is in recovery, as a failure: not an answer of the work', async () => {
    // A static primary URL (a virtual IP, a DNS name) still pointing at a demoted node.
    const write = attempt(state, 'primary', () => Promise.reject(new NotPrimaryError()));
    await expect(write).rejects.toBeInstanceOf(PrimaryUnavailableError);
    await expect(write).rejects.toMatchObject({ cause: expect.any(NotPrimaryError) });
    expect(state.isBenched('primary')).toBe(true);
  });

  it('does not bench the primary for a 25006 the server gives the work (its own read-only transaction)', async () => {
    const readOnly = Object.assign(new Error('cannot execute INSERT in a read-only transaction'), {
      code: '25006',
    });
    await expect(attempt(state, 'primary', () => Promise.reject(readOnly))).rejects.toBe(readOnly);
    expect(state.isBenched('primary')).toBe(false);
  });

  it('charges a failure on the old primary nothing once the role moved (a write during a failover)', async () => {
    const write = attempt(state, 'primary', () => {
      topology.apply({ primary: 'b', replicas: [], timeline: 2 });
      return Promise.reject(reset());
    });
    await expect(write).rejects.toBeInstanceOf(PrimaryUnavailableError);
    // Retried shortly, not "in 0 s": the new primary is not benched.
    await expect(write).rejects.toMatchObject({ retryAfterMs: 1000 });
    expect(state.isBenched('primary')).toBe(false);
  });
});
