import type { RetryStorm } from './retry-storm.section';
import { namedStages, pooledRatio } from './storm.rounds';
import type { Target } from './targets.summary';
import { fmt } from './table.printer';

/** Issue #21's targets: the storm through the proxy keeps its goodput. */
export const STORM_TARGETS = { minRatio: 0.8, maxP99Ms: 5000 };

/**
 * Section 7's targets, judged on the run through the proxy; the bench exits 1
 * if one is missed. The goodput ratio is the median round's; every other
 * target holds in every round (no timeout or bad answer in the warm-up either).
 */
export function stormTargets(result: RetryStorm): Target[] {
  const { proxy, direct, settings } = result;
  const stages = namedStages(proxy).map(([, s]) => s);
  const timeouts = stages.reduce((n, s) => n + s.timeouts + s.connectionErrors, 0);
  const bad = stages.reduce((n, s) => n + s.bad, 0);
  const p99Ms = Math.max(...proxy.rounds.map((r) => r.storm.ms201.p99));
  const created = Math.min(...proxy.rounds.map((r) => r.storm.created));
  const storm = `${fmt.int(settings.stormConnections)} conn.`;
  const median = proxy.rounds.length > 1 ? `, median of ${proxy.rounds.length} rounds` : '';
  return [
    {
      id: '7',
      measure: `storm through the proxy: ${storm} 201/s over ${settings.calmConnections} conn.'s${median} (direct)`,
      measured: `${fmt.num(proxy.ratio, 2)} (${fmt.num(direct.ratio, 2)})`,
      target: `>= ${STORM_TARGETS.minRatio}`,
      met: proxy.ratio >= STORM_TARGETS.minRatio,
      values: {
        ratio: proxy.ratio,
        directRatio: direct.ratio,
        pooledRatio: pooledRatio(proxy.rounds),
        ...Object.fromEntries(proxy.rounds.map((r, i) => [`round${i + 1}Ratio`, r.ratio])),
      },
    },
    {
      id: '7',
      measure: `  p99 of its 201s, ms, in the worst round (direct)`,
      measured: `${fmt.int(p99Ms)} (${fmt.int(direct.storm.ms201.p99)})`,
      target: `<= ${fmt.int(STORM_TARGETS.maxP99Ms)}`,
      met: created > 0 && p99Ms <= STORM_TARGETS.maxP99Ms,
      values: { p99Ms, directP99Ms: direct.storm.ms201.p99 },
    },
    {
      id: '7',
      measure: '  client timeouts and connection errors; other answers, warm-up included (direct)',
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
