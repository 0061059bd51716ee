import { WriteCallbacks } from './transaction-callbacks';

describe('WriteCallbacks', () => {
  it('drops the afterCommit callbacks of a savepoint rolled back, nested ones with it', () => {
    const callbacks = new WriteCallbacks();
    const cb = (name: string) => Object.assign(() => undefined, { label: name });
    const names = (list: (() => unknown)[]) => list.map((c) => (c as { label?: string }).label);
    callbacks.afterCommit.push(cb('top'));
    callbacks.opened();
    callbacks.afterCommit.push(cb('outer'));
    callbacks.afterRollback.push(cb('outer undone'));
    callbacks.opened();
    callbacks.afterCommit.push(cb('inner'));
    callbacks.released(); // the inner one's callbacks now belong to the outer savepoint
    callbacks.rolledBack();
    callbacks.opened();
    callbacks.afterCommit.push(cb('kept'));
    callbacks.released();
    expect(names(callbacks.afterCommit)).toEqual(['top', 'kept']);
    expect(names(callbacks.undone)).toEqual(['outer undone']);
    // Still the write's afterRollback too, in the order registered.
    expect(names(callbacks.afterRollback)).toEqual(['outer undone']);
  });

  it('lists the afterRollback callbacks of nested savepoints rolled back together once, in order', () => {
    const callbacks = new WriteCallbacks();
    const [a, b] = [() => 'a', () => 'b'];
    callbacks.opened();
    callbacks.afterRollback.push(a);
    callbacks.opened();
    callbacks.afterRollback.push(b);
    callbacks.rolledBack(); // the inner one fails, and its error fails the outer one too
    callbacks.rolledBack();
    expect(callbacks.undone).toEqual([a, b]);
  });

  it('ignores a rollback of no savepoint it heard of', () => {
    const callbacks = new WriteCallbacks();
    callbacks.afterCommit.push(() => undefined);
    callbacks.rolledBack();
    expect(callbacks.afterCommit).toHaveLength(1);
  });
});
