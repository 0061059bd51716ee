import { haEnv } from './ha.env';

describe('haEnv', () => {
  it('lists every node by name, and every Patroni REST API', () => {
    expect(
      haEnv(
        [
          { name: 'pg0', url: 'postgres://a:b@127.0.0.1:5433/db' },
          { name: 'pg1', url: 'postgres://a:b@127.0.0.1:5434/db' },
        ],
        ['http://127.0.0.1:8008', 'http://127.0.0.1:8009'],
      ),
    ).toEqual({
      DATABASE_HOSTS: 'pg0=postgres://a:b@127.0.0.1:5433/db,pg1=postgres://a:b@127.0.0.1:5434/db',
      PATRONI_URLS: 'http://127.0.0.1:8008,http://127.0.0.1:8009',
    });
  });
});
