// Shared by jest.unit.config.js and jest.e2e.config.js.
const { pathsToModuleNameMapper } = require('ts-jest');
const { readFileSync } = require('node:fs');

// tsconfig.json is JSON without comments, so JSON.parse reads it.
const { compilerOptions } = JSON.parse(readFileSync(`${__dirname}/tsconfig.json`, 'utf8'));

// Nest 12 ships ES modules, which Jest's CommonJS runtime cannot require() before Node 24.9;
// these packages are compiled to CommonJS by babel on the way in (cached after the first run).
const esmPackages = [
  '@nestjs',
  'file-type',
  'strtok3',
  'token-types',
  '@tokenizer',
  'uint8array-extras',
  '@borewit',
  '@standard-schema',
  // Adapters' ORMs that ship ES modules only.
  'kysely',
];

module.exports = {
  rootDir: __dirname,
  testEnvironment: 'node',
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: pathsToModuleNameMapper(compilerOptions.paths, { prefix: '<rootDir>/' }),
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
    '^.+\\.m?js$': [
      'babel-jest',
      {
        babelrc: false,
        configFile: false,
        plugins: [
          // ES6 mode: a module that declares its own `require = createRequire(import.meta.url)`
          // (@nestjs/terminus) would otherwise read that binding before it is initialised.
          ['babel-plugin-transform-import-meta', { module: 'ES6' }],
          '@babel/plugin-transform-dynamic-import',
          '@babel/plugin-transform-modules-commonjs',
        ],
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  setupFiles: ['reflect-metadata'],
};
