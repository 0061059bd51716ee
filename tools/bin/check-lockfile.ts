// npm run lint: fails when package-lock.json has an entry `npm ci` would stop on.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { lockfileProblems, type Lockfile } from '../src/lockfile/lockfile.check';

const path = resolve(__dirname, '../../package-lock.json');
const problems = lockfileProblems(JSON.parse(readFileSync(path, 'utf8')) as Lockfile);
if (problems.length > 0) {
  console.error(
    `package-lock.json: ${problems.length} problem(s) that stop npm ci on a fresh machine:`,
  );
  for (const problem of problems) console.error(`  ${problem}`);
  console.error('Fix: drop those entries, then `npm install --package-lock-only`.');
  process.exit(1);
}
console.log('package-lock.json: every entry has a version');
