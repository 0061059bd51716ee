import { haNodes, resolveHaSettings } from './ha.settings';
import { patroniConfig, renderPatroniConfig } from './patroni.config';

describe('patroniConfig', () => {
  const settings = resolveHaSettings({ dataDir: '/tmp/ha', basePort: 40000 });
  const node = haNodes(settings)[1]!;
  const config = patroniConfig(settings, node, '/usr/lib/postgresql/15/bin') as {
    name: string;
    restapi: { listen: string };
    etcd3: { hosts: string };
    bootstrap: {
      dcs: Record<string, unknown> & { postgresql: { parameters: Record<string, unknown> } };
      post_bootstrap: string;
    };
    postgresql: Record<string, unknown> & {
      authentication: Record<string, { username: string; password: string }>;
      parameters: Record<string, unknown>;
      pg_hba: string[];
    };
  };

  it("gives the node its own name, ports and directories, and the cluster's etcd", () => {
    expect(config.name).toBe('pg1');
    expect(config.restapi.listen).toBe('127.0.0.1:40004');
    expect(config.etcd3.hosts).toBe('127.0.0.1:40006');
    expect(config.postgresql).toMatchObject({
      listen: '127.0.0.1:40001',
      connect_address: '127.0.0.1:40001',
      data_dir: '/tmp/ha/pg1/data',
      bin_dir: '/usr/lib/postgresql/15/bin',
      pgpass: '/tmp/ha/pg1/pgpass',
    });
  });

  it('uses the timings and settings known to fail over fast and rejoin', () => {
    expect(config.bootstrap.dcs).toMatchObject({
      ttl: 10,
      loop_wait: 2,
      retry_timeout: 4,
      synchronous_mode: true,
      postgresql: { use_pg_rewind: true, use_slots: true },
    });
    expect(config.bootstrap.dcs.postgresql.parameters).toMatchObject({
      wal_log_hints: 'on',
      hot_standby: 'on',
      hot_standby_feedback: 'on',
      wal_retrieve_retry_interval: '500ms',
    });
  });

  it('is asynchronous when asked', () => {
    const async = patroniConfig({ ...settings, synchronous: false }, node, '/bin') as {
      bootstrap: { dcs: { synchronous_mode: boolean } };
    };
    expect(async.bootstrap.dcs.synchronous_mode).toBe(false);
  });

  it("makes the local superuser Patroni's, and streams as the replication role", () => {
    expect(config.postgresql.authentication).toEqual({
      superuser: { username: 'rocket', password: 'rocket' },
      replication: { username: 'replicator', password: 'replicator' },
    });
    expect(config.postgresql.pg_hba).toContain(
      'host replication replicator samehost scram-sha-256',
    );
  });

  it('runs the post_bootstrap script with psql, quoted for shlex', () => {
    const quoted = patroniConfig(
      { ...settings, dataDir: "/tmp/it's" },
      node,
      '/opt/pg bin',
    ) as typeof config;
    expect(quoted.bootstrap.post_bootstrap).toBe(
      `'/opt/pg bin/psql' -q -f '/tmp/it'"'"'s/post-bootstrap.sql'`,
    );
  });

  it('is written as JSON, which YAML reads as it is', () => {
    expect(JSON.parse(renderPatroniConfig(config))).toEqual(config);
  });
});
