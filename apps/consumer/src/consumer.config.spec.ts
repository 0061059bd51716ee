import { validateConfig } from '@app/config';
import { ConsumerConfig } from './consumer.config';

describe('ConsumerConfig', () => {
  it('needs a name, and refuses a fail rate that never commits', () => {
    expect(() => validateConfig(ConsumerConfig, {})).toThrow(/CONSUMER_NAME/);
    expect(validateConfig(ConsumerConfig, { CONSUMER_NAME: 'consumer0' }).CONSUMER_FAIL_RATE).toBe(
      0,
    );
    expect(() =>
      validateConfig(ConsumerConfig, { CONSUMER_NAME: 'consumer0', CONSUMER_FAIL_RATE: '1' }),
    ).toThrow(/CONSUMER_FAIL_RATE/);
  });

  it('refuses a report interval longer than Node’s timers run (it would fire every millisecond)', () => {
    const env = { CONSUMER_NAME: 'consumer0' };
    expect(
      validateConfig(ConsumerConfig, { ...env, CONSUMER_REPORT_EVERY_S: '2147483' })
        .CONSUMER_REPORT_EVERY_S,
    ).toBe(2147483);
    expect(() =>
      validateConfig(ConsumerConfig, { ...env, CONSUMER_REPORT_EVERY_S: '2147484' }),
    ).toThrow(/CONSUMER_REPORT_EVERY_S/);
  });
});
