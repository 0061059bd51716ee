import { readFileSync } from 'node:fs';
import { parseHistory } from '../../../apps/simulator/src/history/history.record';
import { checkSessionGuarantees, formatReport } from './session-guarantees';

/**
 * Checks a simulator history file (SIM_HISTORY_FILE) against the four
 * session guarantees, says the table line by line, and returns how many
 * violations it found. `lost`: rides a failover lost; `writesSurvive`: no
 * acknowledged write can be lost (see {@link checkSessionGuarantees}). A
 * history in which no read could be checked against a write (every read
 * failed, or none was made) proves nothing: it counts as one violation.
 */
export function checkHistoryFile(
  path: string,
  say: (line: string) => void,
  lost?: ReadonlySet<number>,
  options?: { writesSurvive?: boolean },
): number {
  const history = parseHistory(readFileSync(path, 'utf8'));
  const report = checkSessionGuarantees(history, lost, options);
  say(`session guarantees, ${history.length} operations (${path}):`);
  for (const line of formatReport(report)) say(`  ${line}`);
  if (report.checked['read-your-writes'] > 0) return report.violations.length;
  say('  no read was checked against a write: the history proves nothing');
  return report.violations.length + 1;
}
