/**
 * What an API child process of `npm run bench` runs: the API's own main.ts,
 * configured by the environment the bench gives it. The one addition: the
 * process stops itself (SIGTERM, a clean shutdown) when the bench goes away
 * without stopping it, so that no API outlives a killed bench.
 */
import '../../../apps/api/src/main';

process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
process.channel?.unref();
