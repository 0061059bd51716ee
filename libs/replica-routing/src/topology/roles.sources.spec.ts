jest.mock('./host-probe', () => ({
  ...jest.requireActual<object>('./host-probe'),
  probeRole: jest.fn(),
}));
import { resolveOptions } from '../replica-routing.options';
import { probeRole } from './host-probe';
import { rolesFromHosts, rolesFromPatroni } from './roles.sources';
import { Topology } from './topology.service';

const url = 'postgres://127.0.0.1:1/x';

describe('rolesFromHosts', () => {
  const options = resolveOptions({ hosts: ['a', 'b'].map((name) => ({ name, url })) });

  /** Roles found when `a` says it is a primary on timeline 1 and `b` answers `b`. */
  async function rolesWith(b: { standby: boolean; tli: number } | Error) {
    const topology = new Topology(options);
    topology.apply({ primary: 'b', replicas: [], timeline: 2 });
    (probeRole as jest.Mock).mockImplementation((node: { name: string }) =>
      node.name === 'a'
        ? Promise.resolve({ standby: false, tli: 1 })
        : b instanceof Error
          ? Promise.reject(b)
          : Promise.resolve(b),
    );
    const notes: string[] = [];
    const roles = await rolesFromHosts({ options, topology, note: (n) => notes.push(n) });
    return { roles, notes };
  }

  it('never binds a primary on a timeline older than the cluster’s (a former one, not stopped)', async () => {
    // b, the primary on timeline 2, missed this probe; a still runs as a primary on timeline 1.
    const { roles, notes } = await rolesWith(new Error('timeout'));
    expect(roles?.primary).toBe('b');
    expect(notes.join()).toContain('a is a primary on timeline 1');
  });

  it('binds the primary on the cluster’s timeline when both answer', async () => {
    const { roles } = await rolesWith({ standby: false, tli: 2 });
    expect(roles).toMatchObject({ primary: 'b', timeline: 2 });
  });
});

describe('rolesFromPatroni', () => {
  const options = resolveOptions({
    hosts: ['a', 'b'].map((name) => ({ name, url })),
    patroniUrls: ['http://127.0.0.1:1', 'http://127.0.0.1:2'],
  });
  const member = (name: string, role: string, timeline: number) => ({
    name,
    role,
    state: role === 'leader' ? 'running' : 'streaming',
    host: null,
    port: null,
    timeline,
  });
  afterEach(() => jest.restoreAllMocks());

  it('passes over a member whose view names a leader on a timeline older than the known one', async () => {
    const topology = new Topology(options);
    topology.apply({ primary: 'b', replicas: ['a'], timeline: 3 });
    // The first member answers from before the failover (a leader on timeline 2); the second is current.
    const views = [
      [member('a', 'leader', 2), member('b', 'replica', 2)],
      [member('b', 'leader', 3), member('a', 'replica', 3)],
    ];
    jest
      .spyOn(globalThis, 'fetch')
      .mockImplementation(() =>
        Promise.resolve(new Response(JSON.stringify({ members: views.shift() }))),
      );
    const notes: string[] = [];
    const roles = await rolesFromPatroni({ options, topology, note: (n) => notes.push(n) });
    expect(roles).toMatchObject({ primary: 'b', timeline: 3 });
    expect(notes.join()).toContain('names a leader on timeline 2, older than 3');
  });
});
