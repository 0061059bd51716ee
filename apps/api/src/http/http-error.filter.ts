import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import {
  InvalidConsistencyTokenError,
  NoNodeAvailableError,
  NodeOverloadedError,
  PrimaryUnavailableError,
  RoutingClosedError,
  WriteLostError,
} from '@app/replica-routing';
import { messageOf, QuietWarner } from '@app/config';
import type { Response } from 'express';

/**
 * The one place where errors become HTTP: `{"error": "<message>"}` with the
 * right status, never a stack trace. Unexpected errors are logged in full and
 * answered with a generic 500.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');
  /** A failover answers many requests 503 for one cause: said once, then every 10 s with a count. */
  private readonly unavailable = new QuietWarner(this.logger);

  catch(error: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<Response>();
    const { status, message } = this.describe(error);
    if (status >= 500 && status !== 503) {
      this.logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    const retryAfterMs = unavailable(error)?.retryAfterMs ?? (cancelled(error) ? 1000 : undefined);
    // The body says what happened; which node answered what (hosts, driver errors) goes here.
    if (retryAfterMs !== undefined) {
      const said = `503: ${details(error)}`;
      // One cause whatever the positions and numbers it names (each request's token is another,
      // and "retry in N s" counts down).
      const cause = said.replace(/\b[0-9A-F]{1,8}\/[0-9A-F]{1,8}\b/gi, 'X/X').replace(/\d+/g, 'N');
      this.unavailable.warn(said, cause);
    }
    // A failure after the head has left (a streamed answer): nothing more can be said.
    if (response.headersSent) return;
    if (retryAfterMs !== undefined)
      response.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
    const body = error instanceof HttpException ? error.getResponse() : undefined;
    if (isHealthBody(body)) {
      response.status(status).json(body);
      return;
    }
    response.status(status).json({ error: message });
  }

  private describe(error: unknown): { status: number; message: string } {
    if (error instanceof HttpException) {
      const body = error.getResponse();
      const message =
        typeof body === 'string'
          ? body
          : (flatten((body as { message?: unknown }).message) ?? error.message);
      return { status: error.getStatus(), message };
    }
    if (error instanceof InvalidConsistencyTokenError)
      return { status: 400, message: error.message };
    // The token's write did not survive a failover (docs/api.md, "Errors"): gone, not retryable as is.
    if (error instanceof WriteLostError) return { status: 410, message: error.message };
    const busy = unavailable(error);
    if (busy) return { status: 503, message: busy.message };
    const code = cancelled(error);
    if (code)
      return { status: 503, message: `the database cancelled the statement (${code}): retry` };
    return { status: 500, message: 'internal server error' };
  }
}

/** A failed health check (`/health/ready`): `{"status": "error", "error": "<message>", "details": {...}}`. */
function isHealthBody(body: unknown): body is { error: string; details: object } {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as { error?: unknown }).error === 'string' &&
    typeof (body as { details?: unknown }).details === 'object'
  );
}

type Unavailable =
  PrimaryUnavailableError | NoNodeAvailableError | NodeOverloadedError | RoutingClosedError;

/** The library's "retry shortly" errors: every one becomes a 503 with Retry-After. */
function unavailable(error: unknown): Unavailable | undefined {
  return error instanceof PrimaryUnavailableError ||
    error instanceof NoNodeAvailableError ||
    error instanceof NodeOverloadedError ||
    error instanceof RoutingClosedError
    ? error
    : undefined;
}

/**
 * SQLSTATEs with which Postgres cancels a statement that may succeed if run
 * again (a statement timeout, a serialization failure, a deadlock): the
 * database is up, the request is worth retrying shortly.
 */
const CANCELLED = new Set(['57014', '40001', '40P01']);

/** The SQLSTATE when `error` (or a TypeORM QueryFailedError around it) is such a cancellation. */
function cancelled(error: unknown): string | undefined {
  for (const e of [error, (error as { driverError?: unknown } | null)?.driverError]) {
    const code = (e as { code?: unknown } | null | undefined)?.code;
    if (typeof code === 'string' && CANCELLED.has(code)) return code;
  }
  return undefined;
}

/** For the log: the error, what each node answered, and the driver's error. */
function details(error: unknown): string {
  const parts = [messageOf(error)];
  if (error instanceof NoNodeAvailableError) parts.push(`tried: ${error.attempts.join('; ')}`);
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) parts.push(`cause: ${cause.message}`);
  return parts.join(' | ');
}

function flatten(message: unknown): string | undefined {
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : undefined;
}
