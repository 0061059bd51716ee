/**
 * `npm run check:history -- FILE...`: checks simulator histories (JSON lines,
 * SIM_HISTORY_FILE) against the four session guarantees and prints a table
 * per file. Exits 1 on any violation.
 */
import { checkHistoryFile } from '../src/history/history.check';

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npm run check:history -- FILE...');
  process.exit(2);
}
const violations = files.reduce((n, file) => n + checkHistoryFile(file, console.log), 0);
process.exit(violations > 0 ? 1 : 0);
