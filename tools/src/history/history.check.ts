import { readFileSync } from 'node:fs';
import { parseHistory } from '../../../apps/simulator/src/history/history.record';
import { checkSessionGuarantees, formatReport } from './session-guarantees';

/**
 * Checks a simulator history file (SIM_HISTORY_FILE) against the four
 * session guarantees, says the table line by line, and returns how many
 * violations it found.
 */
export function checkHistoryFile(path: string, say: (line: string) => void): number {
  const history = parseHistory(readFileSync(path, 'utf8'));
  const report = checkSessionGuarantees(history);
  say(`session guarantees, ${history.length} operations (${path}):`);
  for (const line of formatReport(report)) say(`  ${line}`);
  return report.violations.length;
}
