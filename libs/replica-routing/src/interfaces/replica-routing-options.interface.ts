import type { PoolConfig } from 'pg';

/** How to reach one Postgres node: a URL, node-postgres settings, or both (the settings win). */
export interface NodeConnectionOptions {
  /** `postgres://user:pass@host:port/db`. */
  url?: string;
  /** node-postgres pool settings (host, port, user, ssl...), over the URL's. The library's pool and timeout settings apply on top. */
  connection?: PoolConfig;
}

export interface ReplicaNodeOptions extends NodeConnectionOptions {
  /** Unique name; shown in `Served-By` and in logs. Must not be `primary`. */
  name: string;
  /** Relative share of reads among eligible replicas. Default: `1`. `0` keeps the replica out of rotation. */
  weight?: number;
}

/** What a read that carries no consistency token may do. */
export type TokenlessReadPolicy = 'primary' | 'replica';

export interface ReplicaRoutingOptions {
  /** The node that takes writes. Either this (a fixed topology) or `hosts`. */
  primary?: NodeConnectionOptions;
  /** Streaming replicas of `primary`. Default: none (every query goes to the primary). */
  replicas?: ReplicaNodeOptions[];
  /**
   * Every node of a cluster whose primary may change (an HA manager such as
   * Patroni promotes a replica): hosts, not roles. Which one is the primary
   * is discovered (from `patroniUrls` where given, else by asking each host
   * `pg_is_in_recovery()`), again on a failure of the primary, on a write
   * refused as read-only (SQLSTATE 25006) and every `discoveryIntervalMs`.
   * The names are the replicas' routing names (`Served-By`); the primary is
   * always `primary`. Not with `primary`/`replicas`.
   */
  hosts?: ReplicaNodeOptions[];
  /** Patroni REST API base URLs (`http://host:8008`), asked in order for `GET /cluster` and `/history`. Default: none. */
  patroniUrls?: string[];
  /** How often the topology is discovered again when nothing prompts it, in ms. Default: `5000`. */
  discoveryIntervalMs?: number;
  /**
   * How long a write waits for a primary while there is none (an election), in
   * ms, before it fails with {@link PrimaryUnavailableError}. Near the HA
   * manager's leader TTL (Patroni's `ttl`, 30 s by default). After a failover,
   * also how long a token of the old timeline waits for the history that says
   * whether its write survived (Patroni records it one HA loop after the
   * promotion). Default: `30000`.
   */
  electionWaitMs?: number;
  /** Share (0..1) of reads kept on the primary even when a replica could serve them. Default: `0`. */
  primaryReadShare?: number;
  /**
   * How long a read may wait for a replica to replay its token before it goes to
   * the primary, polling `pg_last_wal_replay_lsn()` on the replica. Default: `0` (no wait).
   */
  replicaWaitMs?: number;
  /**
   * Reads without any token: `'primary'` (always fresh, as the original demo) or
   * `'replica'` (any replica whose last observed lag is within `maxLagBytes`). Default: `'primary'`.
   */
  tokenlessReads?: TokenlessReadPolicy;
  /** Lag budget for tokenless reads on replicas, in bytes of WAL. Default: `16777216` (16 MiB). */
  maxLagBytes?: number;
  /**
   * A pooled replica connection that proved a token in-band once needs no
   * check for tokens at or below it later: a live server session's standby
   * only replays forward. That holds only when one client connection is one
   * server session. Behind a transaction-mode pooler (PgBouncer
   * `pool_mode = transaction`) it is not: set `false`, and every replica read
   * is checked in-band. A router that sees one client connection answer
   * from two server sessions turns proofs off for that node by itself (and
   * logs it), but it can only see it on a read that asks. Default: `true`.
   */
  connectionProofs?: boolean;
  /** Most replicas one read tries before the primary. Default: `2`. */
  maxReplicaAttempts?: number;

  /**
   * Secret (at least 16 characters) that signs the tokens this process hands
   * out, shared by every process that should honour them. A signed token is
   * trusted without a query; an unsigned one only up to the primary position
   * this process has seen. Default: none: bare WAL positions, and a token ahead
   * of what this process knows is checked against the primary.
   */
  tokenSecret?: string;

  /**
   * Name of the table the observer writes and the routers read; give the same
   * name to `ReplicaObserverModule` and to `replicaStatusesMigration()`. Default: `'replica_statuses'`.
   */
  statusTable?: string;
  /** How often each process refreshes its cached replica positions, in ms. `0` disables. Default: `250`. */
  statusRefreshMs?: number;

  /**
   * Connections per node. A node takes at most `poolSize + 100` queries at once from this
   * process (running, or waiting for a connection); beyond that one fails at once with
   * {@link NodeOverloadedError} (a read goes to another node): load is shed early with a
   * clear answer instead of piling up. Default: `10`.
   */
  poolSize?: number;
  /** Connect timeout per node, in ms. Default: `2000`. */
  connectTimeoutMs?: number;
  /** Server-side `statement_timeout` per query, in ms. Default: `10000`. */
  statementTimeoutMs?: number;
  /** `application_name` sent to Postgres. Default: `'replica-routing'`. */
  applicationName?: string;

  /** Consecutive failed queries (connection lost, refused, timed out) that bench a replica. Default: `3`. */
  replicaFailureThreshold?: number;
  /** How long a replica benched by its failures sits out before one read tries it again, in ms. Default: `5000`. */
  replicaBenchMs?: number;
  /**
   * How long a report that a replica is unreachable (from the observer's table,
   * or a read that lost its connection) keeps reads away from it, in ms. After
   * that a read tries it again: with the observer down nobody would report it
   * back. Default: `5000`.
   */
  unreachableReportMs?: number;
  /**
   * After a replica's check said it had not replayed a read's token (even
   * after any wait: replay paused or far behind), how long reads neither try
   * it on a guess nor wait on it unless its position is seen to move, in ms.
   * It still serves reads it is known to have replayed. Default: `1000`.
   */
  waitPenaltyMs?: number;
  /**
   * How long writes fail fast ({@link PrimaryUnavailableError}) before the
   * primary is tried again, in ms, once its failure is confirmed: a first
   * connection failure benches it for at most a second, and only a failed
   * half-open trial after that for this long. Default: `30000`, as
   * master_slave_adapter.
   */
  primaryCooldownMs?: number;
}

/** A replica with its defaults applied. */
export interface ResolvedReplicaNode extends NodeConnectionOptions {
  name: string;
  weight: number;
}

/** Options with every default applied; what the services read. */
export type ResolvedReplicaRoutingOptions = Required<
  Omit<ReplicaRoutingOptions, 'replicas' | 'hosts' | 'primary'>
> & {
  /** Absent with `hosts`. */
  primary: NodeConnectionOptions | undefined;
  replicas: ResolvedReplicaNode[];
  hosts: ResolvedReplicaNode[];
};
