import { validateConfig } from '@app/config';
import type { LogLevel } from '@nestjs/common';
import { SimulatorConfig } from '../../../apps/simulator/src/simulator.config';
import { createSimulator } from '../../../apps/simulator/src/simulator.factory';
import { SimulatorService } from '../../../apps/simulator/src/simulator.service';

export type { SimulationStats } from '../../../apps/simulator/src/simulation.stats';

export interface InProcessSimulator {
  /** `run()` drives the API until its signal aborts or the settings' bound is reached. */
  simulator: SimulatorService;
  close(): Promise<void>;
}

/**
 * The real simulator (`createSimulator`, as main.ts builds it) in this process,
 * driving `apiUrl`, configured by `settings` alone (not process.env). It starts
 * no run by itself: call `simulator.run()`.
 */
export async function startSimulator(
  apiUrl: string,
  settings: Record<string, string> = {},
  logger: LogLevel[] | false = ['error'],
): Promise<InProcessSimulator> {
  const app = await createSimulator(
    validateConfig(SimulatorConfig, { API_URL: apiUrl, ...settings }),
    logger,
  );
  return { simulator: app.get(SimulatorService), close: () => app.close() };
}
