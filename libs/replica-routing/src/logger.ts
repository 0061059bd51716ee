/** Where the library's log lines go: Nest's `Logger`, console, pino... */
export interface RoutingLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug?(message: string): void;
}

/** Makes the logger of one part of the library (`NodeState`, `ReplicaRouter`...). */
export type RoutingLoggerFactory = (scope: string) => RoutingLogger;

const consoleLogger: RoutingLoggerFactory = (scope) => ({
  log: (m) => console.log(`[replica-routing] ${scope}: ${m}`),
  warn: (m) => console.warn(`[replica-routing] ${scope}: ${m}`),
  error: (m) => console.error(`[replica-routing] ${scope}: ${m}`),
});

let factory: RoutingLoggerFactory = consoleLogger;

/**
 * Sends the library's log lines through `make` from now on (process-wide, as
 * console is); the Nest module passes Nest's `Logger`. Default: console.
 */
export function setRoutingLogger(make: RoutingLoggerFactory): void {
  factory = make;
}

/** A logger for `scope` that asks the current factory at each line. */
export function routingLogger(scope: string): RoutingLogger {
  return {
    log: (m) => factory(scope).log(m),
    warn: (m) => factory(scope).warn(m),
    error: (m) => factory(scope).error(m),
    debug: (m) => factory(scope).debug?.(m),
  };
}
