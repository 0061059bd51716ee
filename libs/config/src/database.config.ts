import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { postgresUrl } from './postgres-url';

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
  @IsOptional() @IsString() REPLICA_URLS?: string;

  primaryUrl(): string {
    return this.DATABASE_URL ?? this.urlFor(this.POSTGRES_PORT);
  }

  replicas(): { name: string; url: string }[] {
    if (this.REPLICA_URLS !== undefined) {
      return this.REPLICA_URLS.split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
        .map((entry, i) => {
          const eq = entry.indexOf('=');
          return eq > 0 && !entry.slice(0, eq).includes('/')
            ? { name: entry.slice(0, eq), url: entry.slice(eq + 1) }
            : { name: `replica${i}`, url: entry };
        });
    }
    return Array.from({ length: this.NUM_REPLICAS }, (_, i) => ({
      name: `replica${i}`,
      url: this.urlFor(this.POSTGRES_PORT + 1 + i),
    }));
  }

  /** The nodes in the shape `ReplicaRoutingModule.forRoot()` takes. */
  routingNodes(): { primary: { url: string }; replicas: { name: string; url: string }[] } {
    return { primary: { url: this.primaryUrl() }, replicas: this.replicas() };
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
