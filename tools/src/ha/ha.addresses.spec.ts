import { HaAddresses } from './ha.addresses';
import { resolveHaSettings } from './ha.settings';

describe('HaAddresses', () => {
  const addresses = new HaAddresses(resolveHaSettings({ nodes: 2 }));

  it("gives every node's URL as the API's role by default, and the superuser's for administration", () => {
    expect(addresses.hosts()).toEqual([
      { name: 'pg0', url: 'postgres://rocket_api:rocket_api@127.0.0.1:5433/rocket_rides' },
      { name: 'pg1', url: 'postgres://rocket_api:rocket_api@127.0.0.1:5434/rocket_rides' },
    ]);
    expect(addresses.url('pg1', 'postgres')).toBe(
      'postgres://rocket:rocket@127.0.0.1:5434/postgres',
    );
  });

  it("builds the apps' DATABASE_HOSTS and PATRONI_URLS", () => {
    expect(addresses.env({ user: 'rocket_observer', password: 'p w' })).toEqual({
      DATABASE_HOSTS:
        'pg0=postgres://rocket_observer:p%20w@127.0.0.1:5433/rocket_rides,' +
        'pg1=postgres://rocket_observer:p%20w@127.0.0.1:5434/rocket_rides',
      PATRONI_URLS: 'http://127.0.0.1:8008,http://127.0.0.1:8009',
    });
  });

  it('names the nodes there are when asked for another', () => {
    expect(() => addresses.node('pg2')).toThrow('No node pg2 in this cluster (pg0, pg1)');
  });
});
