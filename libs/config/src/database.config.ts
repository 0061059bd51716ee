import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { postgresUrl } from './postgres-url';

/**
 * Comma-separated `name=postgres://...` entries (or bare URLs); a trailing
 * comma is allowed. Names as the routing library takes them: 1-63 letters,
 * digits, '_', '.' or '-'.
 */
const NAMED_POSTGRES_URLS =
  /^\s*([A-Za-z0-9_.-]{1,63}=)?postgres(ql)?:\/\/[^,]+(,\s*([A-Za-z0-9_.-]{1,63}=)?postgres(ql)?:\/\/[^,]+)*\s*,?\s*$/;

/** One Patroni base URL as the routing library takes it: no credentials, query or fragment. */
const PATRONI_URL = 'https?:\\/\\/[^,\\s@?#]+';

/** Where the databases are. Defaults match the local cluster launcher (`npm run cluster`). */
export class DatabaseConfig {
  @IsString() POSTGRES_HOST = '127.0.0.1';
  @Type(() => Number) @IsInt() @Min(1) @Max(65535) POSTGRES_PORT = 5433;
  @Type(() => Number) @IsInt() @Min(0) @Max(32) NUM_REPLICAS = 5;
  @IsString() POSTGRES_USER = 'rocket';
  @IsString() POSTGRES_PASSWORD = 'rocket';
  @IsString() POSTGRES_DB = 'rocket_rides';
  /** Overrides the primary URL derived from the POSTGRES_* variables. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;
  /**
   * Overrides the replica URLs derived from the POSTGRES_* variables:
   * comma-separated `name=postgres://...` (or bare URLs, named replica0, replica1...).
   */
  @IsOptional()
  @Matches(NAMED_POSTGRES_URLS, { message: 'must be comma-separated name=postgres://... entries' })
  REPLICA_URLS?: string;
  /**
   * Every node of a cluster whose primary may change (Patroni, say), instead of
   * DATABASE_URL/REPLICA_URLS: comma-separated `name=postgres://...`. The
   * primary and the replicas are discovered (docs/operations.md, "High availability").
   */
  @IsOptional()
  @Matches(NAMED_POSTGRES_URLS, { message: 'must be comma-separated name=postgres://... entries' })
  DATABASE_HOSTS?: string;
  /** With DATABASE_HOSTS: comma-separated Patroni REST API base URLs (`http://host:8008`), asked for the roles first. */
  @IsOptional()
  @Matches(new RegExp(`^\\s*${PATRONI_URL}(\\s*,\\s*${PATRONI_URL})*\\s*$`), {
    message:
      'must be comma-separated http(s)://host:port URLs (a path is allowed; no credentials, query or fragment)',
  })
  PATRONI_URLS?: string;
  /** With DATABASE_HOSTS: how long a write waits for a new primary during a failover, in ms (near Patroni's ttl). */
  @Type(() => Number) @IsInt() @Min(0) @Max(600_000) ELECTION_WAIT_MS = 30_000;
  /** With DATABASE_HOSTS: how often the roles are discovered again unprompted, in ms. */
  @Type(() => Number) @IsInt() @Min(100) @Max(600_000) DISCOVERY_INTERVAL_MS = 5000;

  primaryUrl(): string {
    return this.DATABASE_URL ?? this.urlFor(this.POSTGRES_PORT);
  }

  replicas(): { name: string; url: string }[] {
    if (this.REPLICA_URLS !== undefined) return namedUrls(this.REPLICA_URLS, 'replica');
    return Array.from({ length: this.NUM_REPLICAS }, (_, i) => ({
      name: `replica${i}`,
      url: this.urlFor(this.POSTGRES_PORT + 1 + i),
    }));
  }

  /** DATABASE_HOSTS' nodes (empty without it). */
  hosts(): { name: string; url: string }[] {
    return this.DATABASE_HOSTS === undefined ? [] : namedUrls(this.DATABASE_HOSTS, 'node');
  }

  /** The nodes in the shape `ReplicaRoutingModule.forRoot()` (and the observer's) takes. */
  routingNodes(): RoutingNodes {
    if (this.DATABASE_HOSTS !== undefined)
      return {
        hosts: this.hosts(),
        patroniUrls: (this.PATRONI_URLS ?? '')
          .split(',')
          .map((u) => u.trim())
          .filter(Boolean),
        discoveryIntervalMs: this.DISCOVERY_INTERVAL_MS,
        electionWaitMs: this.ELECTION_WAIT_MS,
      };
    return { primary: { url: this.primaryUrl() }, replicas: this.replicas() };
  }

  /** Settings that contradict each other (DATABASE_HOSTS with DATABASE_URL, say). */
  conflicts(): string[] {
    if (this.DATABASE_HOSTS === undefined) {
      const problems = this.PATRONI_URLS === undefined ? [] : ['PATRONI_URLS needs DATABASE_HOSTS'];
      const names = this.replicas().map((r) => r.name);
      const twice = names.filter((name, i) => names.indexOf(name) !== i);
      // A bare URL is named by its place in the list: `replica1=...,<url>` names replica1 twice.
      if (twice.length > 0) problems.push(`REPLICA_URLS names ${twice.join(', ')} twice`);
      if (names.includes('primary')) problems.push('REPLICA_URLS: "primary" is reserved');
      return problems;
    }
    const problems: string[] = [];
    if (this.DATABASE_URL !== undefined || this.REPLICA_URLS !== undefined)
      problems.push('DATABASE_HOSTS replaces DATABASE_URL and REPLICA_URLS: set one or the other');
    const names = this.hosts().map((h) => h.name);
    if (new Set(names).size !== names.length) problems.push('DATABASE_HOSTS names a node twice');
    if (names.includes('primary')) problems.push('DATABASE_HOSTS: "primary" is reserved');
    return problems;
  }

  private urlFor(port: number): string {
    return postgresUrl({
      host: this.POSTGRES_HOST,
      port,
      user: this.POSTGRES_USER,
      password: this.POSTGRES_PASSWORD,
      database: this.POSTGRES_DB,
    });
  }
}

/** Where the nodes are: fixed roles, or hosts whose roles are discovered. */
export type RoutingNodes =
  | { primary: { url: string }; replicas: { name: string; url: string }[] }
  | {
      hosts: { name: string; url: string }[];
      patroniUrls: string[];
      discoveryIntervalMs: number;
      electionWaitMs: number;
    };

/** `name=url,...` (or bare URLs, named `<prefix>0`, `<prefix>1`...). */
function namedUrls(list: string, prefix: string): { name: string; url: string }[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const eq = entry.indexOf('=');
      return eq > 0 && !entry.slice(0, eq).includes('/')
        ? { name: entry.slice(0, eq), url: entry.slice(eq + 1) }
        : { name: `${prefix}${i}`, url: entry };
    });
}
