import { RoutingContext } from './routing-context.service';

describe('RoutingContext', () => {
  const context = new RoutingContext();

  it('has no scope outside run()', () => {
    expect(context.current()).toBeUndefined();
  });

  it('nests: a child starts from its parent, raises reach every ancestor', async () => {
    await context.run({ token: 10n }, async (outer) => {
      await context.run({ token: 5n }, async (inner) => {
        expect(inner.token).toBe(10n); // never below the parent
        await Promise.resolve();
        expect(context.current()).toBe(inner);
        inner.raise(30n);
        inner.recordServedBy('replica1');
      });
      expect(context.current()).toBe(outer);
      expect(outer.token).toBe(30n);
      expect(outer.servedBy).toEqual(['replica1']);
      outer.raise(20n);
      expect(outer.token).toBe(30n); // only ever raised
    });
  });

  it('records each node that served a scope once, the last to serve last', () => {
    context.run({}, (scope) => {
      for (let i = 0; i < 1000; i++) scope.recordServedBy(i % 2 ? 'replica0' : 'primary');
      scope.recordServedBy('replica1');
      scope.recordServedBy('replica0');
      expect(scope.servedBy).toEqual(['primary', 'replica1', 'replica0']);
    });
  });

  it('a client token waiting for its check keeps the scope and its children unsettled', () => {
    context.run({ pendingToken: 'FFFFFFF/0' }, (outer) => {
      context.run({ primary: true }, (inner) => {
        expect(inner.unsettled).toBe(true);
        expect(inner.position).toBeNull();
      });
      outer.pendingToken = undefined;
      expect(outer.unsettled).toBe(false);
    });
    context.run({ token: 5n }, (scope) => expect(scope.unsettled).toBe(false));
  });

  it('keeps the primary sticky for children', () => {
    context.run({ primary: true }, () => {
      context.run({}, (child) => expect(child.primary).toBe(true));
    });
    context.run({}, (scope) => expect(scope.primary).toBe(false));
  });

  it('keeps concurrent scopes apart', async () => {
    const seen = await Promise.all(
      [1n, 2n, 3n].map((token) =>
        context.run({ token }, async () => {
          await new Promise((r) => setTimeout(r, Number(4n - token)));
          return context.current()?.token;
        }),
      ),
    );
    expect(seen).toEqual([1n, 2n, 3n]);
  });
});
