import type { Page } from 'puppeteer-core';

export interface DashboardReading {
  /** Plotted points per chart (`data-points` of each `[data-chart]`). */
  charts: Record<string, number>;
  /** Names in the node table (`tr[data-node]`). */
  nodes: string[];
}

/** Runs in the page (a string: this project compiles without the DOM's types). */
const READ = `(() => {
  const charts = {};
  document.querySelectorAll('[data-chart]').forEach((el) => {
    charts[el.dataset.chart || el.id] = Number(el.dataset.points || 0);
  });
  const nodes = [...document.querySelectorAll('tr[data-node]')].map((row) => row.dataset.node || '');
  return { charts, nodes };
})()`;

/** What the dashboard shows right now, read from the page's DOM. */
export function readDashboard(page: Page): Promise<DashboardReading> {
  return page.evaluate(READ) as Promise<DashboardReading>;
}

/** What is still wrong: charts without points, nodes missing from the list. */
export function problems(reading: DashboardReading, expectedNodes: string[]): string[] {
  const empty = Object.entries(reading.charts)
    .filter(([, points]) => points === 0)
    .map(([chart]) => `chart ${chart} has no data points`);
  const missing = expectedNodes
    .filter((n) => !reading.nodes.includes(n))
    .map((n) => `node ${n} missing from the node list`);
  const none = Object.keys(reading.charts).length === 0 ? ['no charts on the page'] : [];
  return [...none, ...empty, ...missing];
}
