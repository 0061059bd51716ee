import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadEnv, validateConfig } from '@app/config';
import { SimulatorConfig } from './simulator.config';
import { createSimulator } from './simulator.factory';
import { SimulatorService } from './simulator.service';

/**
 * Exit status: 0 when no read was stale and (in a bounded run) nothing failed;
 * 1 otherwise, so that a bounded run can gate CI.
 */
async function bootstrap(): Promise<void> {
  loadEnv();
  const config = validateConfig(SimulatorConfig);
  const app = await createSimulator(config);
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  const stats = await app.get(SimulatorService).run(stop.signal);
  const logger = new Logger('Simulator');
  logger.log(`final: ${stats.summary()}`);
  await app.close();
  const failed = stats.stale > 0 || (config.bounded && stats.errorCount > 0);
  if (failed) logger.error(`FAILED: ${stats.stale} stale reads, ${stats.errorCount} errors`);
  process.exitCode = failed ? 1 : 0;
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
