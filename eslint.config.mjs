import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

// libs/replica-routing is published on its own (@rocket-rides/replica-routing): its sources may
// import packages and each other, never a monorepo alias or a path that leaves libs/replica-routing/src.
const LIB = 'libs/replica-routing/src';
// Its core imports no framework and no ORM: adapters and glue live in these folders (docs/api.md).
const GLUE = ['nest', 'typeorm', 'kysely', 'drizzle', 'prisma', 'pg', 'express', 'fastify'];
const FRAMEWORKS = {
  group: [
    '@nestjs/*',
    'typeorm',
    'typeorm/*',
    'kysely',
    'drizzle-orm',
    'drizzle-orm/*',
    '@prisma/*',
    'express',
    'fastify',
    'rxjs',
  ],
  message:
    'the routing core imports no framework or ORM: put this in an adapter folder (' +
    GLUE.join(', ') +
    ').',
};
const libImports = (files, depth, core) => ({
  files,
  ...(core ? { ignores: [...GLUE.map((g) => `${LIB}/${g}/**`), '**/*.spec.ts'] } : {}),
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            group: ['@app', '@app/*'],
            message: 'the published library cannot use monorepo aliases; import a package.',
          },
          {
            // depth = directories below src/: that many '../' still stay inside it.
            regex: depth === null ? '^(\\.\\./){5,}' : `^(\\.\\./){${depth}}\\.\\.(/|$)`,
            message: `only ${LIB} is published (as dist/); this path leaves it.`,
          },
          ...(core ? [FRAMEWORKS] : []),
        ],
      },
    ],
  },
});

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'libs/replica-routing/dist/**',
      'node_modules/**',
      'coverage/**',
      '*.js',
      '*.mjs',
      '.cluster*/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // The library stays readable file by file: no source of it over 250 lines.
    files: [`${LIB}/**/*.ts`],
    ignores: ['**/*.spec.ts'],
    rules: { 'max-lines': ['error', { max: 250, skipBlankLines: false, skipComments: false }] },
  },
  libImports([`${LIB}/**/*.ts`], null, false),
  ...[0, 1, 2, 3, 4].flatMap((depth) => [
    libImports([`${LIB}/${'*/'.repeat(depth)}*.ts`], depth, false),
    libImports([`${LIB}/${'*/'.repeat(depth)}*.ts`], depth, true),
  ]),
);
