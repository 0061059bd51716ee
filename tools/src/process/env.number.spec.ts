import { envNumber, PORT } from './env.number';

describe('envNumber', () => {
  const name = 'ENV_NUMBER_SPEC';
  afterEach(() => delete process.env[name]);

  it('takes the default when unset or empty, else the number', () => {
    expect(envNumber(name, 15, { min: 1, max: 3600 })).toBe(15);
    process.env[name] = ' ';
    expect(envNumber(name, 15, { min: 1, max: 3600 })).toBe(15);
    process.env[name] = '2.5';
    expect(envNumber(name, 15, { min: 1, max: 3600 })).toBe(2.5);
  });

  it.each(['abc', '0', '3601', 'NaN', 'Infinity'])('refuses %j, naming the variable', (text) => {
    process.env[name] = text;
    expect(() => envNumber(name, 15, { min: 1, max: 3600 })).toThrow(
      new RegExp(`^${name} must be a number from 1 to 3600`),
    );
  });

  it('takes only whole numbers where it must (a port)', () => {
    process.env[name] = '5433.5';
    expect(() => envNumber(name, 5433, PORT)).toThrow(/must be a whole number from 1 to 65535/);
    process.env[name] = '5433';
    expect(envNumber(name, 1, PORT)).toBe(5433);
  });
});
