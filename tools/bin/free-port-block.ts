/**
 * Prints the first port of a free block: `free-port-block.ts <first> <count>`.
 * Used by scripts/test-compose.sh to pick the compose stack's host ports.
 */
import { findFreeBlock } from '../src/process/wait';

const [first, count] = process.argv.slice(2).map(Number);
if (!Number.isInteger(first) || !Number.isInteger(count)) {
  console.error('usage: free-port-block.ts <first port> <count>');
  process.exit(2);
}
findFreeBlock(first!, count!).then(
  (base) => console.log(base),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
