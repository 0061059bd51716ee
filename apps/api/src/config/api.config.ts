import { DatabaseConfig, MAX_TIMER_MS } from '@app/config';
import { Type } from 'class-transformer';
import { isIP } from 'node:net';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateBy,
} from 'class-validator';

/** A host name: dot-separated labels of letters, digits and inner hyphens (an IPv4 address too). */
const HOST_NAME =
  /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** An IP address (as Node reads one) or a host name. */
const IsHost = () =>
  ValidateBy({
    name: 'isHost',
    validator: {
      validate: (value: unknown) =>
        typeof value === 'string' && (isIP(value) !== 0 || HOST_NAME.test(value)),
      defaultMessage: () => 'must be an IP address or a host name',
    },
  });

/** Every setting of the API, from the environment (see `.env` and the README). */
export class ApiConfig extends DatabaseConfig {
  @Type(() => Number) @IsInt() @Min(1) @Max(65535) API_PORT = 5005;
  /** Interface to listen on: an IPv4 or IPv6 address, or a host name. */
  @IsHost() API_HOST = '127.0.0.1';
  /** Largest request body accepted (413 beyond). */
  @Matches(/^[1-9]\d*(b|kb|mb)$/, { message: 'must look like 16kb (above 0)' }) BODY_LIMIT = '16kb';
  /** See ReplicaRoutingModuleOptions.tokenlessReads. */
  @IsIn(['primary', 'replica']) TOKENLESS_READS: 'primary' | 'replica' = 'primary';
  /** Share of reads kept on the primary (0..1). */
  @Type(() => Number) @IsNumber() @Min(0) @Max(1) PRIMARY_READ_SHARE = 0;
  /** How long a read may wait for a replica to catch up before it goes to the primary. */
  @Type(() => Number) @IsInt() @Min(0) @Max(5000) REPLICA_WAIT_MS = 20;
  /**
   * `false` when the replica URLs go through a transaction-mode pooler
   * (PgBouncer `pool_mode = transaction`): every replica read is then checked
   * in-band. See ReplicaRoutingModuleOptions.connectionProofs.
   */
  @IsIn(['true', 'false']) REPLICA_CONNECTION_PROOFS: 'true' | 'false' = 'true';
  /** How often the routing cache reloads replica_statuses (0: never; replicas are then only tried on a guess). */
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_TIMER_MS) STATUS_REFRESH_MS = 250;
  /** Fail-fast period after the primary fails (circuit breaker). */
  @Type(() => Number) @IsInt() @Min(0) @Max(MAX_TIMER_MS) PRIMARY_COOLDOWN_MS = 30_000;
  /** Per-node connect timeout. */
  @Type(() => Number) @IsInt() @Min(100) @Max(MAX_TIMER_MS) DB_CONNECT_TIMEOUT_MS = 2000;
  /** Per-query statement timeout. */
  @Type(() => Number) @IsInt() @Min(100) @Max(MAX_TIMER_MS) DB_STATEMENT_TIMEOUT_MS = 10_000;
  /** How long an Idempotency-Key of POST /rides is remembered, and a sign-up or a rotation can be retried with its own. */
  @Type(() => Number) @IsInt() @Min(1) @Max(24 * 30) IDEMPOTENCY_KEY_TTL_HOURS = 24;
  /** How often expired Idempotency-Keys of POST /rides are deleted. */
  @Type(() => Number) @IsInt() @Min(100) @Max(MAX_TIMER_MS) IDEMPOTENCY_REAP_MS = 600_000;
  /**
   * Signs Consistency-Tokens (HMAC), so that every API process with the same
   * secret honours another's tokens without asking the primary. Unset: bare
   * WAL positions, checked against the primary when ahead of what this process knows.
   */
  @IsOptional()
  @MinLength(16, { message: 'must have at least 16 characters' })
  TOKEN_SECRET?: string;
  /**
   * How stale authentication may be, in ms: a request with a Consistency-Token
   * authenticates on a replica only if that replica has every commit older than
   * this (a revoked key stops working within this bound everywhere). 0:
   * authenticate on the primary. Requests without a token always do.
   */
  @Type(() => Number) @IsInt() @Min(0) @Max(60_000) AUTH_MAX_STALENESS_MS = 1000;
  /**
   * Requests in progress at once in this process (probes and /metrics
   * excepted); more wait their turn (API_MAX_QUEUED, API_QUEUE_WAIT_MS), and
   * beyond that get 503 + Retry-After at once, before any query. 0: no limit.
   */
  @Type(() => Number) @IsInt() @Min(0) API_MAX_IN_FLIGHT = 64;
  /** Requests that may wait for a place among API_MAX_IN_FLIGHT; beyond, 503 at once. */
  @Type(() => Number) @IsInt() @Min(0) API_MAX_QUEUED = 1000;
  /** How long a request may wait for a place, in ms; then 503 + Retry-After. */
  @Type(() => Number) @IsInt() @Min(1) @Max(60_000) API_QUEUE_WAIT_MS = 2000;
  /** Requests per second per rider (all of its API keys), per API process (429 beyond). 0: no limit. */
  @Type(() => Number) @IsInt() @Min(0) RATE_LIMIT_KEY_RPS = 100;
  /** POST /users per client address per minute, per API process (429 beyond). 0: no limit. */
  @Type(() => Number) @IsInt() @Min(0) RATE_LIMIT_SIGNUP_PER_MIN = 30;
  /** Optional read weights, `replica0=2,replica1=1` (default 1 each). */
  @IsOptional()
  @Matches(/^([\w.-]+=\d+(\.\d+)?)(,[\w.-]+=\d+(\.\d+)?)*$/, {
    message: 'must look like replica0=2,replica1=1',
  })
  REPLICA_WEIGHTS?: string;

  weights(): Map<string, number> {
    const pairs = (this.REPLICA_WEIGHTS ?? '')
      .split(',')
      .filter(Boolean)
      .map((p) => p.split('='));
    return new Map(pairs.map(([name, weight]) => [name!, Number(weight)]));
  }

  /** DatabaseConfig's, and REPLICA_WEIGHTS naming a node that is not configured (a typo weighs nothing). */
  override conflicts(): string[] {
    const problems = super.conflicts();
    if (problems.length > 0) return problems;
    const nodes = (this.DATABASE_HOSTS !== undefined ? this.hosts() : this.replicas()).map(
      (n) => n.name,
    );
    // The pools' client-side query timeout is their sum: one timer, which Node runs after 1 ms past this.
    if (this.DB_STATEMENT_TIMEOUT_MS + this.DB_CONNECT_TIMEOUT_MS > MAX_TIMER_MS)
      problems.push(
        `DB_STATEMENT_TIMEOUT_MS + DB_CONNECT_TIMEOUT_MS must be at most ${MAX_TIMER_MS} ms`,
      );
    const unknown = [...this.weights().keys()].filter((name) => !nodes.includes(name));
    if (unknown.length > 0)
      problems.push(
        `REPLICA_WEIGHTS names ${unknown.join(', ')}, not among the nodes (${nodes.join(', ') || 'none'})`,
      );
    return problems;
  }
}
