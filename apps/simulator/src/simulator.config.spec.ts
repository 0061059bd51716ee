import { validateConfig } from '@app/config';
import { SimulatorConfig } from './simulator.config';

describe('SimulatorConfig', () => {
  it('drives one API: API_URL, else 127.0.0.1:API_PORT', () => {
    expect(validateConfig(SimulatorConfig, {}).apiUrls).toEqual(['http://127.0.0.1:5005']);
    expect(validateConfig(SimulatorConfig, { API_URL: 'http://api:3000/' }).apiUrls).toEqual([
      'http://api:3000',
    ]);
  });

  it('drives every API of API_URLS in turn, over API_URL', () => {
    const config = validateConfig(SimulatorConfig, {
      API_URL: 'http://ignored:1',
      API_URLS: 'http://127.0.0.1:5005, http://127.0.0.1:5006/,',
    });
    expect(config.apiUrls).toEqual(['http://127.0.0.1:5005', 'http://127.0.0.1:5006']);
  });

  it("takes SIM_SEND_TOKEN as 'true' or 'false' only", () => {
    expect(validateConfig(SimulatorConfig, { SIM_SEND_TOKEN: 'false' }).SIM_SEND_TOKEN).toBe(false);
    expect(validateConfig(SimulatorConfig, { SIM_SEND_TOKEN: 'true' }).SIM_SEND_TOKEN).toBe(true);
    for (const typo of ['TRUE', '1', 'yes', 'flase'])
      expect(() => validateConfig(SimulatorConfig, { SIM_SEND_TOKEN: typo })).toThrow(
        /SIM_SEND_TOKEN must be 'true' or 'false'/,
      );
  });

  it('refuses a wait range whose minimum is above its maximum', () => {
    expect(() =>
      validateConfig(SimulatorConfig, { SIM_WAIT_MIN_MS: '3000', SIM_WAIT_MAX_MS: '2000' }),
    ).toThrow(/SIM_WAIT_MIN_MS \(3000\) is above SIM_WAIT_MAX_MS \(2000\)/);
  });

  it('refuses more tokenless users than users', () => {
    expect(() =>
      validateConfig(SimulatorConfig, { SIM_USERS: '2', SIM_TOKENLESS_USERS: '3' }),
    ).toThrow(/SIM_TOKENLESS_USERS \(3\) is above SIM_USERS \(2\)/);
  });

  it('names API_URLS when one of them is not a URL', () => {
    expect(() =>
      validateConfig(SimulatorConfig, { API_URLS: 'http://127.0.0.1:5005,nope' }),
    ).toThrow(/API_URLS="http:\/\/127.0.0.1:5005,nope": each value in API_URLS must be a URL/);
  });

  it('refuses durations and intervals longer than Node’s timers run', () => {
    for (const [key, value] of [
      ['SIM_DURATION_S', '2147484'],
      ['SIM_REPORT_EVERY_S', '2147484'],
      ['SIM_WAIT_MAX_MS', '2147483648'],
      ['SIM_REQUEST_TIMEOUT_MS', '2147483648'],
    ])
      expect(() => validateConfig(SimulatorConfig, { [key!]: value })).toThrow(new RegExp(key!));
  });
});
