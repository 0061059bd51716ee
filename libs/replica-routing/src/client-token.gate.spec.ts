import { ClientTokenGate } from './client-token.gate';
import { ConsistencyTokens } from './consistency-tokens.service';
import { InvalidConsistencyTokenError } from './exceptions/invalid-consistency-token.exception';
import type { NodeExecutor } from './node-executor.service';
import { NodeState } from './node-state.service';
import type { Position } from './position';
import { resolveOptions } from './replica-routing.options';
import type { TopologyDiscovery } from './topology/topology-discovery.service';
import { Topology } from './topology/topology.service';

describe('ClientTokenGate, an unsigned token without tokenSecret', () => {
  /** A gate whose primary answers `answers` in turn, each when the test settles it. */
  function setup() {
    const options = resolveOptions({ primary: { url: 'postgres://p' } });
    const topology = new Topology(options);
    const state = new NodeState(options, topology);
    const asked: ((lsn: bigint) => void)[] = [];
    const executor = {
      primaryPosition: jest.fn(
        () =>
          new Promise<{ lsn: bigint; tli: number }>((resolve) =>
            asked.push((lsn) => resolve({ lsn, tli: 1 })),
          ),
      ),
    } as unknown as NodeExecutor;
    const discovery = {
      toCurrent: (position: Position) => Promise.resolve(position.lsn),
      refresh: () => Promise.resolve(),
    } as unknown as TopologyDiscovery;
    const gate = new ClientTokenGate(
      new ConsistencyTokens(options),
      state,
      executor,
      topology,
      discovery,
    );
    const settle = async (lsn: bigint) => {
      for (let i = 0; i < 10 && asked.length === 0; i++) await Promise.resolve();
      asked.shift()?.(lsn);
    };
    return { gate, executor, settle };
  }

  it('asks the primary again for a token that came while an older check was in flight', async () => {
    const { gate, executor, settle } = setup();
    const first = gate.accept('1:0/100');
    // Minted by another process after this process sent its check: the check cannot cover it.
    const second = gate.accept('1:0/200');
    await settle(0x150n);
    await expect(first).resolves.toEqual({ tli: 1, lsn: 0x100n });
    await settle(0x200n);
    await expect(second).resolves.toEqual({ tli: 1, lsn: 0x200n });
    expect(executor.primaryPosition).toHaveBeenCalledTimes(2);
  });

  it('still refuses a token ahead of the primary, after one question when it asked it itself', async () => {
    const { gate, executor, settle } = setup();
    const future = gate.accept('1:0/900');
    await settle(0x200n);
    await expect(future).rejects.toBeInstanceOf(InvalidConsistencyTokenError);
    expect(executor.primaryPosition).toHaveBeenCalledTimes(1);
  });

  it('refuses a token ahead of the primary after the second question too', async () => {
    const { gate, settle } = setup();
    const first = gate.accept('1:0/100');
    const future = gate.accept('1:0/900');
    await settle(0x150n);
    await first;
    await settle(0x300n);
    await expect(future).rejects.toBeInstanceOf(InvalidConsistencyTokenError);
  });
});

describe('ClientTokenGate, an unsigned token with tokenSecret', () => {
  it('is refused at once when it names a timeline not known to hold it: no discovery, no question', async () => {
    const options = resolveOptions({
      primary: { url: 'postgres://p' },
      tokenSecret: 'a-secret-of-32-characters-at-least!',
    });
    const topology = new Topology(options);
    topology.observeTimeline(1);
    const state = new NodeState(options, topology);
    state.observePrimary(0x500n);
    const toCurrent = jest.fn((position: Position) => Promise.resolve(position.lsn));
    const discovery = { toCurrent, refresh: jest.fn() } as unknown as TopologyDiscovery;
    const gate = new ClientTokenGate(
      new ConsistencyTokens(options),
      state,
      {} as NodeExecutor,
      topology,
      discovery,
    );
    expect(() => gate.acceptWithoutIo('4294967295:0/1')).toThrow(InvalidConsistencyTokenError);
    await expect(gate.accept('2:0/1')).rejects.toBeInstanceOf(InvalidConsistencyTokenError);
    expect(toCurrent).not.toHaveBeenCalled();
    // One on the known timeline, up to the known position, is taken as before.
    expect(gate.acceptWithoutIo('1:0/100')).toEqual({ tli: 1, lsn: 0x100n });
    // A signed token of the form before timelines is taken, but says nothing of the primary now
    // (it may be from before a failover): the known position stays.
    const old = new ConsistencyTokens(options).format({ tli: null, lsn: 0x900n });
    expect(gate.acceptWithoutIo(old)).toEqual({ tli: 1, lsn: 0x900n });
    expect(state.primaryLsn).toBe(0x500n);
  });
});
