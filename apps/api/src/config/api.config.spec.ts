import { validateConfig } from '@app/config';
import { ApiConfig } from './api.config';

describe('ApiConfig', () => {
  it('takes REPLICA_WEIGHTS that name configured replicas', () => {
    const config = validateConfig(ApiConfig, { REPLICA_WEIGHTS: 'replica0=2,replica4=0' });
    expect(config.weights()).toEqual(
      new Map([
        ['replica0', 2],
        ['replica4', 0],
      ]),
    );
  });

  it('refuses REPLICA_WEIGHTS naming a node that is not configured (a typo would weigh nothing)', () => {
    expect(() => validateConfig(ApiConfig, { REPLICA_WEIGHTS: 'replcia0=2' })).toThrow(
      /REPLICA_WEIGHTS names replcia0, not among the nodes \(replica0, replica1, replica2, replica3, replica4\)/,
    );
    expect(() =>
      validateConfig(ApiConfig, {
        DATABASE_HOSTS: 'pg0=postgres://u:p@a/x,pg1=postgres://u:p@b/x',
        REPLICA_WEIGHTS: 'replica0=2',
      }),
    ).toThrow(/REPLICA_WEIGHTS names replica0, not among the nodes \(pg0, pg1\)/);
  });

  it('takes an IP address or a host name for API_HOST, nothing else', () => {
    for (const host of ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'api.internal', 'api-1'])
      expect(validateConfig(ApiConfig, { API_HOST: host }).API_HOST).toBe(host);
    for (const host of ['a b', 'api.', '-api', 'http://api', ':', ':::.', '1:2:3:4:5:6:7:8:9'])
      expect(() => validateConfig(ApiConfig, { API_HOST: host })).toThrow(/API_HOST/);
  });

  it('refuses a BODY_LIMIT of nothing', () => {
    expect(() => validateConfig(ApiConfig, { BODY_LIMIT: '0kb' })).toThrow(/BODY_LIMIT/);
    expect(validateConfig(ApiConfig, { BODY_LIMIT: '1mb' }).BODY_LIMIT).toBe('1mb');
  });

  it('refuses timings longer than Node’s timers run', () => {
    for (const key of ['STATUS_REFRESH_MS', 'PRIMARY_COOLDOWN_MS', 'DB_STATEMENT_TIMEOUT_MS'])
      expect(() => validateConfig(ApiConfig, { [key]: '2147483648' })).toThrow(new RegExp(key));
  });

  it('refuses a statement and a connect timeout whose sum no timer can run', () => {
    expect(() =>
      validateConfig(ApiConfig, { DB_STATEMENT_TIMEOUT_MS: String(2 ** 31 - 1) }),
    ).toThrow(/DB_STATEMENT_TIMEOUT_MS \+ DB_CONNECT_TIMEOUT_MS/);
  });
});
