import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import {
  closeOnSignals,
  LoggingConfig,
  loadEnv,
  ShutdownConfig,
  validateConfig,
} from '@app/config';
import { ApiConfig } from './config/api.config';
import { createApi, listenApi } from './api.factory';

async function bootstrap(): Promise<void> {
  loadEnv();
  const config = validateConfig(ApiConfig);
  // Every setting is checked before anything connects, the shutdown's too.
  const shutdown = validateConfig(ShutdownConfig);
  const app = await createApi(config, validateConfig(LoggingConfig));
  closeOnSignals(app, shutdown);
  await listenApi(app, config.API_PORT, config.API_HOST);
  const nodes = config.routingNodes();
  const where =
    'hosts' in nodes
      ? `hosts ${nodes.hosts.map((h) => h.name).join(', ')} (roles discovered` +
        `${nodes.patroniUrls.length > 0 ? ' from Patroni' : ''})`
      : `primary + ${nodes.replicas.length} replicas ` +
        `(${nodes.replicas.map((r) => r.name).join(', ') || 'none'})`;
  Logger.log(
    `listening on http://${config.API_HOST}:${config.API_PORT}; ${where}; replica wait ${config.REPLICA_WAIT_MS} ms; ` +
      `dashboard http://${config.API_HOST}:${config.API_PORT}/dashboard, metrics /metrics, docs /docs`,
    'Api',
  );
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
