import type { RetryStorm } from './retry-storm.section';
import type { Target } from './targets.summary';
import { fmt } from './table.printer';

/** Issue #21's targets: the storm through the proxy keeps its goodput. */
export const STORM_TARGETS = { minRatio: 0.8, maxP99Ms: 5000 };

/** Section 7's targets, judged on the run through the proxy; the bench exits 1 if one is missed. */
export function stormTargets(result: RetryStorm): Target[] {
  const { proxy, direct, settings } = result;
  const stages = [proxy.calm, proxy.storm];
  const timeouts = stages.reduce((n, s) => n + s.timeouts + s.connectionErrors, 0);
  const bad = stages.reduce((n, s) => n + s.bad, 0);
  const storm = `${fmt.int(settings.stormConnections)} conn.`;
  return [
    {
      id: '7',
      measure: `storm through the proxy: ${storm} 201/s over ${settings.calmConnections} conn.'s (direct)`,
      measured: `${fmt.num(proxy.ratio, 2)} (${fmt.num(direct.ratio, 2)})`,
      target: `>= ${STORM_TARGETS.minRatio}`,
      met: proxy.ratio >= STORM_TARGETS.minRatio,
      values: { ratio: proxy.ratio, directRatio: direct.ratio },
    },
    {
      id: '7',
      measure: `  p99 of its 201s, ms (direct)`,
      measured: `${fmt.int(proxy.storm.ms201.p99)} (${fmt.int(direct.storm.ms201.p99)})`,
      target: `<= ${fmt.int(STORM_TARGETS.maxP99Ms)}`,
      met: proxy.storm.created > 0 && proxy.storm.ms201.p99 <= STORM_TARGETS.maxP99Ms,
      values: { p99Ms: proxy.storm.ms201.p99, directP99Ms: direct.storm.ms201.p99 },
    },
    {
      id: '7',
      measure: '  client timeouts and connection errors; other answers (direct)',
      measured: `${fmt.int(timeouts)}; ${fmt.int(bad)} (${fmt.int(direct.storm.timeouts)}; ${fmt.int(direct.storm.bad)})`,
      target: '0; 0',
      met: timeouts === 0 && bad === 0,
      values: { timeouts, bad, directTimeouts: direct.storm.timeouts },
    },
    {
      id: '7',
      measure: '  writes right after the storm (direct)',
      measured: `${proxy.after.created}/${proxy.after.sent} (${direct.after.created}/${direct.after.sent})`,
      target: 'all',
      met: proxy.after.sent > 0 && proxy.after.created === proxy.after.sent,
      values: { created: proxy.after.created, sent: proxy.after.sent },
    },
  ];
}
