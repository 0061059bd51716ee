import { stat } from 'node:fs/promises';
import { workerHealthController } from '@app/config';
import { ObserverConfig } from './observer.config';

/**
 * /health/live: the process answers. /health/ready: a tick was saved lately
 * (the heartbeat file is younger than 10 intervals, at least 5 s).
 */
export const ObserverHealthController = workerHealthController(
  ObserverConfig,
  'ticks',
  async (config, session) => {
    const file = config.OBSERVER_HEARTBEAT_FILE;
    if (!file) return session.up({ note: 'no OBSERVER_HEARTBEAT_FILE: tick age not checked' });
    const boundMs = Math.max(5000, 10 * config.OBSERVER_INTERVAL_MS);
    const ageMs = await stat(file).then(
      (s) => Date.now() - s.mtimeMs,
      () => null,
    );
    if (ageMs !== null && ageMs < boundMs)
      return session.up({ last_saved_ms_ago: Math.round(ageMs) });
    return session.down({
      reason: ageMs === null ? 'no tick saved yet' : `last tick saved ${Math.round(ageMs)} ms ago`,
    });
  },
);
