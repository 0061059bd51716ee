import { lockfileProblems } from './lockfile.check';

describe('lockfileProblems', () => {
  const sound = {
    lockfileVersion: 3,
    packages: {
      '': { name: 'app', version: '0.1.0' },
      'node_modules/pg': { version: '8.23.1' },
      'node_modules/@rocket-rides/tools': { resolved: 'tools', link: true },
    },
  };

  it('accepts a lock whose every entry has a version, links aside', () => {
    expect(lockfileProblems(sound)).toEqual([]);
  });

  it('names each entry that has no version, as the broken unrs-resolver bindings had', () => {
    const broken = {
      ...sound,
      packages: {
        ...sound.packages,
        'node_modules/unrs-resolver/node_modules/@unrs/resolver-binding-win32-x64-msvc': {
          dev: true,
          optional: true,
        },
        'node_modules/empty': { version: '' },
      },
    };
    expect(lockfileProblems(broken)).toEqual([
      'node_modules/unrs-resolver/node_modules/@unrs/resolver-binding-win32-x64-msvc: no version (npm ci fails with "Invalid Version")',
      'node_modules/empty: no version (npm ci fails with "Invalid Version")',
    ]);
  });

  it('refuses a lockfile npm 10 and 11 do not write, or one without packages', () => {
    expect(lockfileProblems({ lockfileVersion: 1 })).toHaveLength(1);
    expect(lockfileProblems({ lockfileVersion: 3 })).toEqual(['no "packages" map']);
  });
});
