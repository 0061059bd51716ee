import { parseLsn } from '../lsn.util';
import { resolveOptions } from '../replica-routing.options';
import { Topology } from './topology.service';

describe('Topology.mergesBlind', () => {
  const at = (tli: number | null, lsn: string) => ({ tli, lsn: parseLsn(lsn) });
  let topology: Topology;

  beforeEach(() => {
    topology = new Topology(
      resolveOptions({ hosts: [{ name: 'pg0', url: 'postgres://127.0.0.1:1/x' }] }),
    );
    topology.observeTimeline(3);
  });

  it('is false for positions of one timeline, of none known, or missing', () => {
    expect(topology.mergesBlind(at(3, '0/10'), at(3, '0/20'))).toBe(false);
    expect(topology.mergesBlind(at(null, '0/10'), at(2, '0/20'))).toBe(false);
    expect(topology.mergesBlind(null, at(1, '0/20'), undefined)).toBe(false);
  });

  it('is true while an earlier timeline among them has no known end, false once it has', () => {
    expect(topology.mergesBlind(at(2, '0/10'), at(3, '0/20'))).toBe(true);
    expect(topology.mergesBlind(at(3, '0/20'), null, at(1, '0/10'))).toBe(true);
    topology.learnEnds(new Map([[2, parseLsn('0/15')]]));
    expect(topology.mergesBlind(at(2, '0/10'), at(3, '0/20'))).toBe(false);
    // Timeline 1's end is still unknown, whichever argument holds it.
    expect(topology.mergesBlind(at(2, '0/10'), at(3, '0/20'), at(1, '0/5'))).toBe(true);
    topology.learnEnds(new Map([[1, parseLsn('0/8')]]));
    expect(topology.mergesBlind(at(2, '0/10'), at(3, '0/20'), at(1, '0/5'))).toBe(false);
  });
});

describe('Topology, where earlier timelines ended', () => {
  const topologyOn = () =>
    new Topology(resolveOptions({ hosts: [{ name: 'a', url: 'postgres://127.0.0.1:1/x' }] }));

  it('forgets a lineage the new timeline does not descend from', () => {
    const topology = topologyOn();
    topology.observeTimeline(3);
    // Timeline 3's history: 1 ended at 0/300, 2 at 0/800.
    topology.learnEnds(
      new Map([
        [1, 0x300n],
        [2, 0x800n],
      ]),
      3,
    );
    // Timeline 4 forked off timeline 1 at 0/200: a node that never followed 2 or 3 was promoted.
    topology.observeTimeline(4);
    expect(topology.historyComplete).toBe(false);
    topology.learnEnds(new Map([[1, 0x200n]]), 4);
    expect(topology.resolve({ tli: 2, lsn: 0x500n }).ok).toBe(false);
    expect(topology.resolve({ tli: 1, lsn: 0x250n })).toMatchObject({ ok: false, reason: 'lost' });
    expect(topology.resolve({ tli: 1, lsn: 0x100n })).toEqual({ ok: true, lsn: 0x100n });
  });
});
