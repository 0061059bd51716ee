import { haNodes, haPorts, haPortSpan, resolveHaSettings } from './ha.settings';

describe('HA settings', () => {
  it('defaults to three nodes on the well-known ports, in ./.cluster-ha', () => {
    const settings = resolveHaSettings();
    expect(settings).toMatchObject({
      dataDir: `${process.cwd()}/.cluster-ha`,
      nodes: 3,
      host: '127.0.0.1',
      postgresPort: 5433,
      patroniPort: 8008,
      etcdPort: 2479,
      synchronous: true,
      fsync: true,
      credentials: { user: 'rocket', database: 'rocket_rides' },
    });
    expect(haNodes(settings).map((n) => [n.name, n.postgresPort, n.patroniPort])).toEqual([
      ['pg0', 5433, 8008],
      ['pg1', 5434, 8009],
      ['pg2', 5435, 8010],
    ]);
  });

  it('derives every port of a private cluster from one base, in one block', () => {
    const settings = resolveHaSettings({ nodes: 4, basePort: 30000, patroniPort: 1 });
    const ports = haPorts(settings).map((p) => p.port);
    expect(ports.sort((a, b) => a - b)).toEqual(
      Array.from({ length: haPortSpan(4) }, (_, i) => 30000 + i),
    );
    expect(haNodes(settings)[3]).toMatchObject({ postgresPort: 30003, patroniPort: 30007 });
    expect(settings.etcdPort).toBe(30008);
  });

  it('puts each node in its own directory', () => {
    const [node] = haNodes(resolveHaSettings({ dataDir: '/tmp/ha' }));
    expect(node).toEqual({
      name: 'pg0',
      postgresPort: 5433,
      patroniPort: 8008,
      dir: '/tmp/ha/pg0',
      pgdata: '/tmp/ha/pg0/data',
      configFile: '/tmp/ha/pg0/patroni.yml',
      pidFile: '/tmp/ha/pg0/patroni.pid',
    });
  });

  it('refuses a node count out of 2..9', () => {
    expect(() => resolveHaSettings({ nodes: 1 })).toThrow('2 to 9 nodes, not 1');
    expect(() => resolveHaSettings({ nodes: 10 })).toThrow('2 to 9 nodes, not 10');
  });

  it('names the two variables whose ports collide', () => {
    expect(() => resolveHaSettings({ postgresPort: 8007 })).toThrow(
      "pg1's Postgres and pg0's Patroni REST API would share port 8008: move POSTGRES_PORT or PATRONI_PORT apart",
    );
    expect(() => resolveHaSettings({ etcdPort: 65535 })).toThrow(
      "etcd's peer port would be on port 65536: move ETCD_PORT into 1-65535",
    );
  });
});
