import { join } from 'node:path';
import type { HaNode, HaSettings } from './ha.settings';
import { postBootstrapFile } from './post-bootstrap.sql';

/** Patroni's cluster name: the etcd keys live under `/service/rocket-rides/`. */
export const PATRONI_SCOPE = 'rocket-rides';

/**
 * The Patroni configuration of one node (what `patroni <file>` reads). It is
 * written as JSON, which YAML parsers read as it is, so no YAML library is needed.
 * The timings and Postgres settings are those of postgres/patroni.yml (the
 * compose HA cluster), with node-specific addresses instead of PATRONI_* variables.
 */
export function patroniConfig(
  settings: HaSettings,
  node: HaNode,
  bindir: string,
): Record<string, unknown> {
  const { host, credentials } = settings;
  const replication = settings.roles.replication;
  return {
    scope: PATRONI_SCOPE,
    namespace: '/service/',
    name: node.name,
    log: { level: 'INFO' },
    restapi: {
      listen: `${host}:${node.patroniPort}`,
      connect_address: `${host}:${node.patroniPort}`,
    },
    etcd3: { hosts: `${host}:${settings.etcdPort}`, protocol: 'http' },
    // No /dev/watchdog for an unprivileged user; without this Patroni warns on every start.
    watchdog: { mode: 'off' },
    bootstrap: {
      // Written to etcd by the node that initialises the cluster; every node follows it from then on.
      dcs: {
        // The leader renews a 10 s lease every 2 s: a leader that stops cleanly hands over at
        // once, one that dies is replaced once its lease runs out (about 10 s).
        ttl: 10,
        loop_wait: 2,
        retry_timeout: 4,
        // Commits wait for one standby, and only that standby may be promoted: a failover
        // never loses an acknowledged write (nor a Consistency-Token the API gave out).
        synchronous_mode: settings.synchronous,
        postgresql: {
          // A former leader rejoins as a replica, rewound if it had diverged.
          use_pg_rewind: true,
          use_slots: true,
          parameters: {
            wal_level: 'replica',
            // pg_rewind needs hint bits in the WAL (or data checksums).
            wal_log_hints: 'on',
            hot_standby: 'on',
            hot_standby_feedback: 'on',
            // The unified log stamps each event with its transaction's commit time.
            track_commit_timestamp: 'on',
            max_connections: 200,
            max_wal_senders: 10,
            max_replication_slots: 10,
            wal_keep_size: '256MB',
            // A replica whose primary went away asks the new one again after 0.5 s, not 5 s.
            wal_retrieve_retry_interval: '500ms',
          },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { locale: 'C' }],
      // Once, on the node that ran initdb: the app's database and roles (Patroni appends a
      // superuser connection string to the command).
      post_bootstrap: `${shellQuote(join(bindir, 'psql'))} -q -f ${shellQuote(postBootstrapFile(settings))}`,
    },
    postgresql: {
      listen: `${host}:${node.postgresPort}`,
      connect_address: `${host}:${node.postgresPort}`,
      data_dir: node.pgdata,
      bin_dir: bindir,
      pgpass: join(node.dir, 'pgpass'),
      authentication: {
        superuser: { username: credentials.user, password: credentials.password },
        replication: { username: replication.user, password: replication.password },
      },
      // A new replica is cloned at once, not after the leader's next spread checkpoint.
      basebackup: [{ checkpoint: 'fast' }],
      parameters: {
        // TCP only, like `npm run cluster`: no socket directory to share between users.
        unix_socket_directories: '',
        shared_buffers: '64MB',
        fsync: settings.fsync ? 'on' : 'off',
        password_encryption: 'scram-sha-256',
        log_checkpoints: 'off',
        log_line_prefix: '%m ',
      },
      // Patroni's own connections, pg_rewind and pg_basebackup come over TCP with passwords too.
      pg_hba: [
        `host replication ${replication.user} samehost scram-sha-256`,
        'host all all samehost scram-sha-256',
      ],
    },
  };
}

/** The file Patroni reads: JSON is valid YAML, and Patroni parses it as such. */
export function renderPatroniConfig(config: Record<string, unknown>): string {
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** Quoted for Python's shlex.split, which is how Patroni splits the post_bootstrap command. */
function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'"'"'`)}'`;
}
