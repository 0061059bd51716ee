import { workerHealthController } from '@app/config';
import { StreamerService } from './streamer.service';

/** /health/live: the process answers. /health/ready: active or standing by, and its loop turning. */
export const StreamerHealthController = workerHealthController(
  StreamerService,
  'streamer',
  ({ streamer }, session) => {
    const { role, lastRoundAt } = streamer;
    const ageMs = Date.now() - lastRoundAt;
    if (role !== 'starting' && ageMs < 15_000) return session.up({ role });
    return session.down({ role, last_round_ms_ago: lastRoundAt ? ageMs : null });
  },
);
