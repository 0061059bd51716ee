import { DISTURBED_CORES, cpuMsPerRequest } from './cpu.probe';
import type { RetryStorm, StormRun } from './retry-storm.section';
import { namedStages, pooledRatio } from './storm.rounds';
import type { StormCpu, StormStage } from './storm.stage';
import { fmt, renderTable } from './table.printer';

/** Cores no subject of the stage used: other work on the machine (the bench's observer included). */
export function stormOtherCores(cpu: StormCpu): number | null {
  const parts = [cpu.machine, cpu.api, cpu.postgres];
  if (parts.some((x) => x === null)) return null;
  return Math.max(0, cpu.machine! - cpu.api! - cpu.postgres! - (cpu.proxy ?? 0) - cpu.client);
}

function cpuCell(cpu: StormCpu): string {
  const n = (x: number | null) => (x === null ? '-' : x.toFixed(2));
  return [cpu.api, cpu.postgres, cpu.proxy, cpu.client, stormOtherCores(cpu)].map(n).join(' / ');
}

const kinds = (s: StormStage) =>
  Object.entries(s.badKinds)
    .map(([kind, n]) => `${kind}: ${fmt.int(n)}`)
    .join('; ');

/** Section 7's table: through the proxy and straight to the API, side by side. */
export function printStormTable(result: RetryStorm): void {
  const { proxy, direct, settings } = result;
  const columns: [string, StormStage, StormRun][] = [
    ['proxy, calm', proxy.calm, proxy],
    ['proxy, storm', proxy.storm, proxy],
    ['direct, calm', direct.calm, direct],
    ['direct, storm', direct.storm, direct],
  ];
  const row = (label: string, cell: (s: StormStage, r: StormRun) => string) => [
    label,
    ...columns.map(([, s, r]) => cell(s, r)),
  ];
  const storm = (s: StormStage, text: string) => (s.label === 'storm' ? text : '');
  const rounds = proxy.rounds
    .map(
      (r) =>
        `${fmt.num(r.calm.createdPerSecond)} -> ${fmt.num(r.storm.createdPerSecond)} (${fmt.ratio(r.ratio)})`,
    )
    .join(', ');
  const notes = [
    ...(proxy.rounds.length > 1
      ? [
          `through the proxy, ${proxy.rounds.length} rounds of calm then storm, 201/s: ${rounds}; ` +
            `all rounds together ${fmt.ratio(pooledRatio(proxy.rounds))};`,
          '  the proxy columns show the round of median ratio, the targets hold that ratio and every round',
        ]
      : []),
    `through the proxy: HAProxy (docker/haproxy-api.cfg), maxconn ${settings.maxInFlight} per API process, ` +
      `queue ${settings.queueMs} ms; the same API process in every column`,
    'every connection sends its next POST as soon as it has an answer, whatever the answer;',
    '  after each stage no new request is sent and the ones in flight are answered or time out',
    `a storm's rates and CPU leave out its first ${settings.settleSeconds} s, while its connections open`,
    // Through the proxy, per round below (the columns show one of them).
    ...columns
      .filter(([name]) => name.startsWith('direct'))
      .flatMap(([name, s]) => (s.bad > 0 ? [`${name}: bad answers: ${kinds(s)}`] : [])),
    ...namedStages(proxy)
      .filter(([, s]) => s.bad + s.timeouts + s.connectionErrors > 0)
      .map(
        ([name, s]) =>
          `proxy, ${name}: ${fmt.int(s.timeouts)} timeouts, ${fmt.int(s.connectionErrors)} connection errors, ` +
          `${fmt.int(s.bad)} bad answers${s.bad > 0 ? ` (${kinds(s)})` : ''}`,
      ),
    ...columns.flatMap(([name, s]) => {
      const other = stormOtherCores(s.cpu);
      return other !== null && other > DISTURBED_CORES
        ? [`${name} shared the CPU with other work (${other.toFixed(2)} cores)`]
        : [];
    }),
  ];
  console.log(
    renderTable({
      title:
        `7. Retry storm: POST /rides from clients that retry at once, ${settings.calmConnections} connections ` +
        `${settings.calmSeconds} s, then ${fmt.int(settings.stormConnections)} for ${settings.stormSeconds} s`,
      columns: ['', ...columns.map(([name]) => name)],
      rows: [
        row('connections', (s) => fmt.int(s.connections)),
        row('201/s', (s) => fmt.num(s.createdPerSecond)),
        row('  over the calm 201/s', (s, r) => storm(s, fmt.ratio(r.ratio))),
        row('201 p50 / p99 / max ms', (s) =>
          [s.ms201.p50, s.ms201.p99, s.ms201.max].map((x) => fmt.int(x)).join(' / '),
        ),
        row('answers/s', (s) => fmt.int(s.answersPerSecond)),
        row(
          '503 + Retry-After: proxy / API',
          (s) => `${fmt.int(s.refused.proxy)} / ${fmt.int(s.refused.api)}`,
        ),
        row('other answers (bad)', (s) => fmt.int(s.bad)),
        row(`client timeouts (${settings.timeoutS} s)`, (s) => fmt.int(s.timeouts)),
        row('connection errors', (s) => fmt.int(s.connectionErrors)),
        row('drain after the stage, s', (s) => fmt.num(s.drainMs / 1000)),
        row('writes right after', (s, r) => storm(s, `${r.after.created}/${r.after.sent}`)),
        row('CPU: API / PG / HAProxy / load / other', (s) => cpuCell(s.cpu)),
        row('API CPU ms / 201', (s) => fmt.num(cpuMsPerRequest(s.cpu.api, s.createdPerSecond), 2)),
      ],
      notes,
    }),
  );
}
