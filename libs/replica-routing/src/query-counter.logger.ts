import { Logger } from '@nestjs/common';
import type { Logger as TypeOrmLogger } from 'typeorm';
import type { RoutingContext } from './routing-context.service';

export interface QueryCount {
  /** Every statement sent to the node (status refreshes and probes included). */
  total: number;
  /** Statements sent inside a routing scope: the ones requests and jobs cost. */
  routed: number;
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
    private readonly context: RoutingContext,
  ) {
    this.logger = new Logger(`TypeORM:${node}`);
  }

  logQuery(): void {
    this.count.total++;
    if (this.context.current()) this.count.routed++;
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
