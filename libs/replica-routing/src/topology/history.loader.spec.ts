import { setRoutingLogger } from '../logger';
import { parseLsn } from '../lsn.util';
import { resolveOptions } from '../replica-routing.options';
import { HistoryLoader } from './history.loader';
import { readHistoryFile } from './host-probe';
import { patroniHistory } from './patroni.client';
import { Topology } from './topology.service';
import { monotonicMs } from '../clock';

jest.mock('./patroni.client');
jest.mock('./host-probe');
const askPatroni = jest.mocked(patroniHistory);
const readFile = jest.mocked(readHistoryFile);

describe('HistoryLoader', () => {
  const hosts = [{ name: 'pg0', url: 'postgres://127.0.0.1:1/x' }];
  const denied = Object.assign(new Error('permission denied for function pg_read_file'), {
    code: '42501',
  });

  function loader(
    patroniUrls: string[],
    connectTimeoutMs?: number,
  ): { history: HistoryLoader; topology: Topology } {
    const options = resolveOptions({ hosts, patroniUrls, connectTimeoutMs });
    const topology = new Topology(options);
    topology.apply({ primary: 'pg0', replicas: [], timeline: 2 });
    return { history: new HistoryLoader(options, topology, () => undefined), topology };
  }

  beforeAll(() => {
    const quiet = () => undefined;
    setRoutingLogger(() => ({ log: quiet, warn: quiet, error: quiet }));
  });

  beforeEach(() => {
    askPatroni.mockReset();
    readFile.mockReset().mockRejectedValue(denied);
  });

  it('waits until Patroni has the history, with one load at a time for every waiter', async () => {
    let calls = 0;
    askPatroni.mockImplementation(() => {
      calls++;
      // Patroni records the new timeline's history on its third answer.
      return Promise.resolve(calls < 3 ? new Map() : new Map([[1, parseLsn('0/3000000')]]));
    });
    const { history, topology } = loader(['http://patroni:8008']);
    const deadline = monotonicMs() + 5000;
    const waits = await Promise.all(
      Array.from({ length: 20 }, () => history.awaitComplete(deadline)),
    );
    expect(waits).toEqual(Array(20).fill(true));
    expect(calls).toBe(3);
    expect(topology.knowsEndOf(1)).toBe(true);
  });

  it('takes nothing from a Patroni history without the previous timeline (the last promotion’s lineage)', async () => {
    // Timeline 1 went on to 0/9000000 on a node that became timeline 2; this node left it at
    // 0/5000000 and became timeline 3. Until Patroni records that, it answers timeline 2's history.
    askPatroni.mockResolvedValue(new Map([[1, parseLsn('0/9000000')]]));
    const { history, topology } = loader(['http://patroni:8008']);
    topology.observeTimeline(3);
    await history.refresh();
    expect(topology.knowsEndOf(1)).toBe(false);
    // A write at 0/8000000 on timeline 1 never reached timeline 3: not to be taken as reached.
    expect(topology.resolve({ tli: 1, lsn: parseLsn('0/8000000') })).not.toMatchObject({
      ok: true,
    });
  });

  it('gives up at the deadline, and later callers of that timeline only try once', async () => {
    askPatroni.mockResolvedValue(new Map());
    const { history } = loader(['http://patroni:8008']);
    await expect(history.awaitComplete(monotonicMs() + 300)).resolves.toBe(false);
    const tries = askPatroni.mock.calls.length;
    expect(tries).toBeGreaterThanOrEqual(2);
    expect(tries).toBeLessThanOrEqual(3);
    await expect(history.awaitComplete(monotonicMs() + 10_000)).resolves.toBe(false);
    expect(askPatroni.mock.calls.length).toBe(tries + 1);
  });

  it('returns at the deadline while a load hangs (an unanswering Patroni), the load going on', async () => {
    askPatroni.mockReturnValue(new Promise(() => undefined));
    const { history } = loader(['http://patroni:8008'], 100);
    await expect(history.awaitComplete(monotonicMs() + 200)).resolves.toBe(false);
    expect(askPatroni).toHaveBeenCalledTimes(1);
  });

  it('tries once even with no time to wait, for up to connectTimeoutMs', async () => {
    const known = new Map([[1, parseLsn('0/3000000')]]);
    askPatroni.mockReturnValue(new Promise((resolve) => setTimeout(() => resolve(known), 50)));
    const { history } = loader(['http://patroni:8008']);
    await expect(history.awaitComplete(monotonicMs())).resolves.toBe(true);
  });

  it("takes the current timeline's history file as complete where timeline numbers skip", async () => {
    // Timeline 4 was forked from 2 (3 exists only in an archive): its file lists 1 and 2.
    readFile.mockResolvedValue(
      new Map([
        [1, parseLsn('0/3000000')],
        [2, parseLsn('0/5000000')],
      ]),
    );
    const { history, topology } = loader([]);
    topology.observeTimeline(4);
    await expect(history.awaitComplete(monotonicMs() + 5000)).resolves.toBe(true);
    expect(topology.historyComplete).toBe(true);
  });

  it('does not wait where the history cannot be learned: no Patroni, and no pg_read_file()', async () => {
    const { history } = loader([]);
    await history.refresh();
    const started = monotonicMs();
    await expect(history.awaitComplete(monotonicMs() + 10_000)).resolves.toBe(false);
    expect(monotonicMs() - started).toBeLessThan(1000);
    // discovery's load, then the wait's one try
    expect(readFile).toHaveBeenCalledTimes(2);
  });

  it('drops an answer about a timeline the cluster left while it was asked', async () => {
    const { history, topology } = loader(['http://patroni:8008']);
    // Timeline 2's lineage (1 ended at 0/300) arrives after timeline 3 forked off 1 at 0/200.
    askPatroni.mockImplementation(() => {
      topology.observeTimeline(3);
      return Promise.resolve(new Map([[1, parseLsn('0/300')]]));
    });
    await history.refresh();
    expect(topology.knowsEndOf(1)).toBe(false);
  });
});
