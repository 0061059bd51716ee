import { workerHealthController } from '@app/config';
import { ConsumerService } from './consumer.service';

/** /health/live: the process answers. /health/ready: its loop turns, and no gap stopped it. */
export const ConsumerHealthController = workerHealthController(
  ConsumerService,
  'consumer',
  ({ consumer }, session) => {
    const { stopped, lastRoundAt } = consumer;
    if (stopped) return session.down({ stopped: stopped.message });
    const ageMs = Math.round(performance.now() - lastRoundAt);
    if (consumer.turning()) return session.up({ last_round_ms_ago: ageMs });
    return session.down({ last_round_ms_ago: lastRoundAt ? ageMs : null });
  },
);
