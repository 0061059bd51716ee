import { runInNewContext } from 'node:vm';
import { DASHBOARD_SCRIPT } from './dashboard.page';

interface Chart {
  el: string;
  labels: string[];
  data: (number | null)[][];
  destroyed: boolean;
}

/** The page's script in a sandbox: a fake DOM, uPlot that records its charts, fetch that answers `states` in turn. */
function page(states: object[]) {
  const charts: Chart[] = [];
  const elements = new Map<string, { clientWidth: number; dataset: object }>();
  class FakePlot {
    chart: Chart;
    constructor(opts: { series: { label?: string }[] }, data: Chart['data'], el: { id: string }) {
      this.chart = {
        el: el.id,
        labels: opts.series.slice(1).map((s) => s.label!),
        data,
        destroyed: false,
      };
      charts.push(this.chart);
    }
    setData(data: Chart['data']) {
      this.chart.data = data;
    }
    destroy() {
      this.chart.destroyed = true;
    }
  }
  const context = {
    uPlot: FakePlot,
    document: {
      getElementById: (id: string) => {
        if (!elements.has(id)) elements.set(id, { clientWidth: 500, dataset: {}, id } as never);
        return elements.get(id);
      },
    },
    fetch: () => Promise.resolve({ json: () => Promise.resolve(states.shift()) }),
    window: { addEventListener: () => undefined },
    setInterval: () => undefined,
  };
  runInNewContext(DASHBOARD_SCRIPT, context);
  const tick = () => (context as unknown as { tick(): Promise<void> }).tick();
  const chart = (id: string) => charts.filter((c) => c.el === id && !c.destroyed).at(-1)!;
  const built = (id: string) => charts.filter((c) => c.el === id);
  return { tick, chart, built };
}

const node = (name: string, role: string, lag: number | null = null) => ({
  name,
  role,
  available: true,
  breaker: 'closed',
  lag_bytes: lag,
  lag_seconds: lag === null ? null : 0.001,
  age_ms: 100,
  why_not: null,
});
const state = (at: number, nodes: object[], reads: Record<string, number>) => ({
  at,
  nodes,
  reads,
  read_outcomes: {},
  log: null,
});

describe('dashboard page', () => {
  it('adds a replica that appears after the first poll to the lag charts and to the read share', async () => {
    const { tick, chart, built } = page([
      state(1_000, [node('primary', 'primary'), node('a', 'replica', 10)], { primary: 0, a: 0 }),
      state(
        2_000,
        [node('primary', 'primary'), node('a', 'replica', 20), node('b', 'replica', 30)],
        { primary: 10, a: 10, b: 20 },
      ),
    ]);
    // The page polls once as it loads (the first state), then every second.
    await new Promise(setImmediate);
    await tick();

    const lag = chart('lag-bytes');
    expect(lag.labels).toEqual(['a', 'b']);
    // a keeps its history; b has none before it appeared.
    expect(lag.data[1]).toEqual([10, 20]);
    expect(lag.data[2]).toEqual([null, 30]);
    // 10 of the 40 reads of the second second went to the primary.
    expect(chart('share').data[1]).toEqual([25]);
    // Stacked, the new node on top: b's band is all 40 reads, a's the primary's and its own 20.
    expect(chart('reads').labels).toEqual(['b', 'a', 'primary']);
    expect(chart('reads').data).toEqual([[2], [40], [20], [10]]);
    // Each grown chart replaced its first one (destroyed), not drawn beside it.
    for (const id of ['reads', 'lag-bytes', 'lag-seconds'])
      expect(built(id).map((c) => c.destroyed)).toEqual([true, false]);
  });
});
