export { loadEnv } from './env.loader';
export { validateConfig } from './config.validator';
export { DatabaseConfig, type RoutingNodes } from './database.config';
export { postgresUrl, type PostgresAddress } from './postgres-url';
export {
  LOG_LEVELS,
  LoggingConfig,
  pinoLevel,
  prettyLogStream,
  type LogFormat,
  type LogLevelName,
} from './logging.config';
