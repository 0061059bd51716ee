export { loadEnv } from './env.loader';
export { validateConfig } from './config.validator';
export { DatabaseConfig, type RoutingNodes } from './database.config';
export { postgresUrl, type PostgresAddress } from './postgres-url';
export { collectDefaultMetricsOnce } from './default-metrics';
export { MAX_TIMER_MS, MAX_TIMER_S } from './timer.limits';
export { processLogger } from './process.logging';
export { closeOnSignals, ShutdownConfig } from './shutdown.signals';
export {
  LOG_LEVELS,
  LoggingConfig,
  pinoLevel,
  prettyLogStream,
  type LogFormat,
  type LogLevelName,
} from './logging.config';
export { workerHealthController, type HealthSession } from './worker-health.controller';
export { messageOf, QuietWarner } from './quiet.warner';
