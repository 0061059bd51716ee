/**
 * GET /dashboard: one self-contained page (no build step, no CDN). uPlot comes
 * from this server (/dashboard/uplot.js, from the `uplot` package); the script
 * below polls /dashboard/state every second and turns counters into rates.
 * Each chart's `data-points` attribute counts its plotted points, each node row
 * has `data-node`: what `npm run test:ui` checks in a real browser.
 */
export const DASHBOARD_SCRIPT = String.raw`
'use strict';
const WINDOW = 120; // points kept (seconds)
const COLORS = ['#e45756', '#4c78a8', '#f58518', '#54a24b', '#b279a2', '#9d755d', '#eeca3b', '#72b7b2', '#ff9da6', '#bab0ac'];
// The nodes, and the replicas, the charts show, in the order first seen: values go by name (with
// hosts, roles move), and one that appears later (a host back as a replica) is added.
let names = [];
let lagNames = [];
let charts = {};
const labelsOf = {}; // chart id -> its series' labels
let previous = null;
const series = {}; // chart id -> arrays (x first)

function color(i) { return COLORS[i % COLORS.length]; }

function makeChart(id, labels, opts = {}) {
  const el = document.getElementById(id);
  const data = [[], ...labels.map(() => [])];
  series[id] = data;
  labelsOf[id] = labels;
  const chart = new uPlot({
    width: el.clientWidth || 560,
    height: 220,
    // Every y axis starts at 0, so that stacked bands and small rates read right.
    scales: { x: { time: true }, y: { range: opts.range || ((u, min, max) => [0, max > 0 ? max * 1.1 : 1]) } },
    axes: [{ stroke: '#aaa', grid: { stroke: '#333' } }, { stroke: '#aaa', grid: { stroke: '#333' }, size: 60 }],
    legend: { live: false },
    series: [{}, ...labels.map((label, i) => ({
      label,
      stroke: opts.stroke ? opts.stroke(i) : color(i),
      fill: opts.fill ? opts.fill(i) : undefined,
      width: 1.5,
      points: { show: false },
      spanGaps: false,
    }))],
  }, data, el);
  charts[id] = chart;
}

function push(id, x, values) {
  const data = series[id];
  data[0].push(x);
  values.forEach((v, i) => data[i + 1].push(v));
  if (data[0].length > WINDOW) data.forEach((a) => a.shift());
  charts[id].setData(data);
  let points = 0;
  for (let i = 1; i < data.length; i++) points += data[i].filter((v) => v !== null && v !== undefined && !Number.isNaN(v)).length;
  document.getElementById(id).dataset.points = String(points);
}

function readsOptions() {
  // Stacked: series i is drawn as the sum of nodes 0..i, biggest first so each band shows.
  return { stroke: (i) => color(names.length - 1 - i), fill: (i) => color(names.length - 1 - i) + 'cc' };
}

function build(state) {
  names = state.nodes.map((n) => n.name);
  lagNames = state.nodes.filter((n) => n.role === 'replica').map((n) => n.name);
  makeChart('reads', names.slice().reverse(), readsOptions());
  makeChart('lag-bytes', lagNames);
  makeChart('lag-seconds', lagNames);
  makeChart('share', ['primary %', 'replicas %'], { range: [0, 100], fill: (i) => color(i) + '55' });
  makeChart('waits', ['waits/s', 'wait timeouts/s', 'check refused/s', 'to primary, no replica/s', 'retried/s', 'tokens rejected/s']);
}

// A chart again with more series: each one keeps its history by label, a new one starts empty.
function rebuild(id, labels, opts) {
  const old = series[id];
  const oldLabels = labelsOf[id];
  charts[id].destroy();
  makeChart(id, labels, opts);
  const data = series[id];
  data[0].push(...old[0]);
  labels.forEach((label, i) => {
    const was = oldLabels.indexOf(label);
    data[i + 1].push(...(was >= 0 ? old[was + 1] : old[0].map(() => null)));
  });
  charts[id].setData(data);
}

// Nodes and replicas not seen before join the charts. A stacked band below them is unchanged:
// a new node is the last one, and had no reads before.
function grow(state) {
  const newNodes = state.nodes.map((n) => n.name).filter((name) => !names.includes(name));
  if (newNodes.length > 0) {
    names = names.concat(newNodes);
    rebuild('reads', names.slice().reverse(), readsOptions());
  }
  const newReplicas = state.nodes.filter((n) => n.role === 'replica' && !lagNames.includes(n.name)).map((n) => n.name);
  if (newReplicas.length > 0) {
    lagNames = lagNames.concat(newReplicas);
    rebuild('lag-bytes', lagNames);
    rebuild('lag-seconds', lagNames);
  }
}

function rate(now, before, key, seconds) {
  const a = now[key] ?? 0, b = before ? (before[key] ?? 0) : a;
  return Math.max(0, a - b) / seconds;
}


function renderNodes(state) {
  const rows = state.nodes.map((n) => {
    const status = n.available ? '<span class="ok">available</span>' : '<span class="bad">not used</span>';
    const breaker = n.breaker === 'open' ? '<span class="bad">open ' + (n.benched_for_ms / 1000).toFixed(1) + ' s</span>' : '<span class="ok">closed</span>';
    const lag = n.role === 'primary' ? '' : (n.lag_bytes === null ? '?' : n.lag_bytes + ' B') + (n.lag_seconds === null ? '' : ' / ' + n.lag_seconds.toFixed(3) + ' s');
    const age = n.age_ms === null ? '' : (n.age_ms / 1000).toFixed(1) + ' s';
    return '<tr data-node="' + n.name + '"><td>' + n.name + '</td><td>' + n.role + '</td><td>' + status + '</td><td>' + breaker +
      '</td><td>' + lag + '</td><td>' + age + '</td><td class="why">' + (n.why_not ?? '').replace(/[<>&]/g, '') + '</td></tr>';
  });
  document.getElementById('nodes').innerHTML = rows.join('');
}

function renderLog(log) {
  const el = document.getElementById('log');
  if (!log) { el.innerHTML = '<tr><td colspan="6">the log tables cannot be read</td></tr>'; return; }
  const rows = log.consumers.map((c) =>
    '<tr data-consumer="' + c.name + '"><td>' + c.name + '</td><td>' + c.total + '</td><td>' + c.rides + '</td><td>' + c.last_seq +
    '</td><td>' + c.lag + '</td><td>' + (c.agrees ? '<span class="ok">= sum(distance)</span>' : '<span class="bad">catching up</span>') + '</td></tr>');
  rows.push('<tr><td>rides</td><td>' + log.total + '</td><td>' + log.rides + '</td><td>' + log.last_seq +
    '</td><td>backlog ' + log.backlog + '</td><td>oldest ' + log.oldest_s.toFixed(1) + ' s</td></tr>');
  el.innerHTML = rows.join('');
}

async function tick() {
  let state;
  try {
    const response = await fetch('/dashboard/state', { cache: 'no-store' });
    state = await response.json();
    document.getElementById('status').textContent = 'updated ' + new Date(state.at).toLocaleTimeString();
  } catch (error) {
    document.getElementById('status').textContent = 'cannot reach the API: ' + error;
    return;
  }
  if (!charts.reads) build(state);
  else grow(state);
  renderLog(state.log);
  renderNodes(state);
  const x = state.at / 1000;
  const seconds = previous ? Math.max(0.001, (state.at - previous.at) / 1000) : 1;
  if (previous) {
    let sum = 0;
    const stacked = names.map((n) => (sum += rate(state.reads, previous.reads, n, seconds)));
    push('reads', x, stacked.slice().reverse());
    const primary = rate(state.reads, previous.reads, 'primary', seconds);
    const all = stacked[stacked.length - 1] || 0;
    push('share', x, all > 0 ? [100 * primary / all, 100 - 100 * primary / all] : [null, null]);
    push('waits', x, [
      rate(state, previous, 'waits', seconds),
      rate(state, previous, 'wait_timeouts', seconds),
      rate(state, previous, 'check_refused', seconds),
      // replica_routing_reads_total outcomes: no replica could serve it; served after a node failed.
      rate(state.read_outcomes, previous.read_outcomes, 'primary_no_replica', seconds),
      rate(state.read_outcomes, previous.read_outcomes, 'retried', seconds),
      rate(state, previous, 'token_rejected', seconds),
    ]);
  }
  // By name: after a failover a host's lag stays under its own label, and one no longer a replica
  // shows a gap instead of shifting the others.
  const lagOf = (key) => lagNames.map((name) => {
    const node = state.nodes.find((n) => n.name === name && n.role === 'replica');
    return node ? node[key] : null;
  });
  push('lag-bytes', x, lagOf('lag_bytes'));
  push('lag-seconds', x, lagOf('lag_seconds'));
  previous = state;
}

window.addEventListener('resize', () => {
  for (const [id, chart] of Object.entries(charts)) chart.setSize({ width: document.getElementById(id).clientWidth, height: 220 });
});
tick();
setInterval(tick, 1000);
`;

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rocket Rides: replica routing</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/uplot.css">
<style>
  body { margin: 0; padding: 16px 20px; background: #16181d; color: #ddd; font: 14px/1.4 system-ui, sans-serif; }
  h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 14px; margin: 0 0 6px; color: #bbb; font-weight: 600; }
  #status { color: #888; font-size: 12px; margin-bottom: 12px; }
  .grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 14px; }
  .panel { background: #1f2229; border: 1px solid #2c3038; border-radius: 6px; padding: 10px 12px; }
  .chart { min-height: 250px; }
  table { width: 100%; border-collapse: collapse; font-size: 13px; }
  th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid #2c3038; }
  td.why { color: #999; font-size: 12px; }
  .ok { color: #54a24b; } .bad { color: #e45756; }
  .u-legend { color: #ccc; font-size: 12px; }
</style>
</head>
<body>
<h1>Rocket Rides: replica routing</h1>
<div id="status">loading</div>
<div class="grid">
  <div class="panel"><h2>Reads per second, per node (stacked)</h2><div id="reads" class="chart" data-chart="reads"></div></div>
  <div class="panel"><h2>Primary vs replica share of reads (%)</h2><div id="share" class="chart" data-chart="share"></div></div>
  <div class="panel"><h2>Replica lag (bytes)</h2><div id="lag-bytes" class="chart" data-chart="lag-bytes"></div></div>
  <div class="panel"><h2>Replica lag (seconds)</h2><div id="lag-seconds" class="chart" data-chart="lag-seconds"></div></div>
  <div class="panel"><h2>Waits and fallbacks (per second)</h2><div id="waits" class="chart" data-chart="waits"></div></div>
  <div class="panel"><h2>Nodes and breakers</h2>
    <table><thead><tr><th>node</th><th>role</th><th>reads</th><th>breaker</th><th>lag</th><th>observed</th><th>why not</th></tr></thead>
    <tbody id="nodes"></tbody></table></div>
  <div class="panel"><h2>Unified log: consumers against sum(distance)</h2>
    <table><thead><tr><th>consumer</th><th>total distance</th><th>rides</th><th>seq</th><th>lag</th><th></th></tr></thead>
    <tbody id="log"></tbody></table></div>
</div>
<script src="/dashboard/uplot.js"></script>
<script>${DASHBOARD_SCRIPT}</script>
</body>
</html>
`;
