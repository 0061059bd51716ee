import { Logger } from '@nestjs/common';
import type { QueryRunner, Logger as TypeOrmLogger } from 'typeorm';

export interface QueryCount {
  /** Every statement sent to the node (status refreshes and probes included). */
  total: number;
  /** Statements of routed work (reads, writes, token checks): the ones requests and jobs cost. */
  routed: number;
  /** Round trips of routed work: statements the caller waited for (pipelined ones ride along). */
  roundTrips: number;
}

const ROUTED = 'replicaRouting.routed';

/**
 * Counts a statement of routed work sent on the raw connection, around
 * TypeORM's logger; `trip`: the caller waited for it (false: it rode along).
 */
export function countRouted(count: QueryCount, trip: boolean): void {
  count.total++;
  count.routed++;
  if (trip) count.roundTrips++;
}

/** Tags a query runner of routed work, so that its statements count as `routed`. */
export function markRouted(runner: QueryRunner): QueryRunner {
  runner.data = { ...runner.data, [ROUTED]: true };
  return runner;
}

/**
 * TypeORM logger of one node: counts statements (what `GET /replicas` and the
 * benchmark report, e.g. primary queries per read) and passes TypeORM's own
 * warnings to Nest's logger. Query text is never logged.
 */
export class QueryCounterLogger implements TypeOrmLogger {
  private readonly logger: Logger;

  constructor(
    node: string,
    private readonly count: QueryCount,
  ) {
    this.logger = new Logger(`TypeORM:${node}`);
  }

  logQuery(_query: string, _parameters?: unknown, queryRunner?: QueryRunner): void {
    this.count.total++;
    if (queryRunner?.data?.[ROUTED] !== true) return;
    this.count.routed++;
    this.count.roundTrips++;
  }

  logQueryError(): void {}

  logQuerySlow(): void {}

  logSchemaBuild(): void {}

  logMigration(message: string): void {
    this.logger.log(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown): void {
    if (level === 'warn') this.logger.warn(String(message));
  }
}
