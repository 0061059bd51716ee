import { parseCluster } from './patroni.client';

describe('parseCluster', () => {
  it('reads the members of GET /cluster, and their roles', () => {
    const body = {
      members: [
        {
          name: 'pg0',
          role: 'leader',
          state: 'running',
          api_url: 'http://127.0.0.1:8008/patroni',
          host: '127.0.0.1',
          port: 5433,
          timeline: 3,
        },
        {
          name: 'pg1',
          role: 'sync_standby',
          state: 'running',
          host: '127.0.0.1',
          port: 5434,
          timeline: 3,
          lag: 0,
        },
        {
          name: 'pg2',
          role: 'replica',
          state: 'starting',
          host: '127.0.0.1',
          port: 5435,
          lag: 'unknown',
        },
      ],
    };
    expect(parseCluster(body)).toEqual([
      { name: 'pg0', role: 'leader', state: 'running', host: '127.0.0.1', port: 5433, timeline: 3 },
      {
        name: 'pg1',
        role: 'sync_standby',
        state: 'running',
        host: '127.0.0.1',
        port: 5434,
        timeline: 3,
        lag: 0,
      },
      { name: 'pg2', role: 'replica', state: 'starting', host: '127.0.0.1', port: 5435 },
    ]);
  });

  it("takes Patroni 2's `master` for the leader", () => {
    const [member] = parseCluster({
      members: [{ name: 'pg0', role: 'master', host: 'h', port: 1 }],
    });
    expect(member).toMatchObject({ role: 'leader', state: 'unknown' });
  });

  it('refuses another body, quoting it', () => {
    expect(() => parseCluster({ error: 'nope' })).toThrow(
      'Not a Patroni /cluster answer: {"error":"nope"}',
    );
    expect(() => parseCluster(null)).toThrow('Not a Patroni /cluster answer: null');
  });
});
