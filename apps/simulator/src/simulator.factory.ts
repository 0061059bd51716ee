import type { INestApplicationContext, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { SimulatorConfig } from './simulator.config';
import { SimulatorModule } from './simulator.module';

/** Builds the simulator (used by main.ts and by the dev tools, so that both run the same app). */
export function createSimulator(
  config: SimulatorConfig,
  logger: LogLevel[] | false = ['log', 'warn', 'error'],
): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(SimulatorModule.forRoot(config), { logger });
}
