import type { RoutingLogger } from '../logger';

/**
 * A step that fails tick after tick (every 0.5 s) for the same reason: warned
 * of once per distinct error, and once more when it works again, rather than
 * flooding the log.
 */
export class RepeatedFailure {
  /** The last error, while the step keeps failing; null once it works. */
  error: string | null = null;

  constructor(
    private readonly logger: RoutingLogger,
    private readonly failing: string,
    private readonly recovered: string,
  ) {}

  failed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (message !== this.error) this.logger.warn(`${this.failing}: ${message}`);
    this.error = message;
  }

  worked(): void {
    if (this.error !== null) this.logger.log(this.recovered);
    this.error = null;
  }
}
