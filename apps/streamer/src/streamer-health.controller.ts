import { workerHealthController } from '@app/config';
import { StreamerService } from './streamer.service';

/** /health/live: the process answers. /health/ready: active or standing by, and its loop turning. */
export const StreamerHealthController = workerHealthController(
  StreamerService,
  'streamer',
  ({ streamer }, session) => {
    const { role, lastRoundAt } = streamer;
    if (role !== 'starting' && streamer.turning()) return session.up({ role });
    return session.down({
      role,
      last_round_ms_ago: lastRoundAt ? Math.round(performance.now() - lastRoundAt) : null,
    });
  },
);
