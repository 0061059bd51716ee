import { RoutingClosedError } from '../exceptions/routing-closed.exception';
import { WriteLostError } from '../exceptions/write-lost.exception';
import { resolveOptions } from '../replica-routing.options';
import { RoutingContext } from '../routing-context.service';
import { TopologyDiscovery } from './topology-discovery.service';
import { Topology } from './topology.service';
import { monotonicMs } from '../clock';

describe('TopologyDiscovery.raisesBlind', () => {
  const options = resolveOptions({ hosts: [{ name: 'pg0', url: 'postgres://127.0.0.1:1/x' }] });
  const at = (tli: number | null, lsn: bigint) => ({ tli, lsn });

  it('looks at every enclosing scope, and only while the history is incomplete', () => {
    const topology = new Topology(options);
    topology.observeTimeline(2);
    const discovery = new TopologyDiscovery(options, topology);
    const context = new RoutingContext(topology);
    context.run({ token: at(1, 10n) }, () => {
      context.run({}, (inner) => {
        // A sibling raised the inner scope onto timeline 2; the outer one still holds timeline 1.
        inner.position = at(2, 40n);
        expect(discovery.raisesBlind(inner, at(2, 50n))).toBe(true);
        expect(discovery.raisesBlind(inner, null)).toBe(false);
        expect(discovery.raisesBlind(undefined, at(2, 50n))).toBe(false);
        topology.learnEnds(new Map([[1, 20n]]));
        expect(discovery.raisesBlind(inner, at(2, 50n))).toBe(false);
      });
    });
  });
});

describe('TopologyDiscovery.toCurrent once stopped', () => {
  const options = resolveOptions({ hosts: [{ name: 'pg0', url: 'postgres://127.0.0.1:1/x' }] });

  it('refuses a token it can no longer look up as a shutdown (503), not as unverifiable (410)', async () => {
    const topology = new Topology(options);
    topology.observeTimeline(2);
    const discovery = new TopologyDiscovery(options, topology);
    await discovery.stop();
    const text = () => '1/0/A';
    await expect(discovery.toCurrent({ tli: 1, lsn: 10n }, text)).rejects.toThrow(
      RoutingClosedError,
    );
    await expect(discovery.toCurrent({ tli: 3, lsn: 10n }, text)).rejects.toThrow(
      RoutingClosedError,
    );
    // What is known still answers: a token on the current timeline, and one known to be lost.
    await expect(discovery.toCurrent({ tli: 2, lsn: 10n }, text)).resolves.toBe(10n);
    topology.learnEnds(new Map([[1, 5n]]));
    await expect(discovery.toCurrent({ tli: 1, lsn: 10n }, text)).rejects.toThrow(WriteLostError);
  });
});

describe('TopologyDiscovery.awaitChange while one discovery run is slow', () => {
  it('returns by its deadline, not when the run ends (the run goes on for later callers)', async () => {
    const options = resolveOptions({ hosts: [{ name: 'a', url: 'postgres://127.0.0.1:1/x' }] });
    const topology = new Topology(options);
    const discovery = new TopologyDiscovery(options, topology);
    // One run: Patroni URLs that do not answer, each up to connectTimeoutMs.
    let finish = () => undefined as void;
    const slow = new Promise<void>((resolve) => (finish = resolve));
    jest.spyOn(discovery, 'refresh').mockReturnValue(slow);
    const started = monotonicMs();
    await discovery.awaitChange(topology.version, started + 50);
    // Its deadline, not the poll period (250 ms), ended the wait.
    expect(monotonicMs() - started).toBeLessThan(240);
    finish();
    await discovery.stop();
  });
});
