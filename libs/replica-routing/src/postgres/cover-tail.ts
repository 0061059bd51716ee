/** Per named statement: its Bind, Execute and Sync messages, the same bytes on every read. */
const coverTails = new Map<string, Buffer>();

/**
 * The messages that run the named statement `name` with no parameters and end
 * the pipeline: Bind (unnamed portal, no parameters, text results), Execute
 * (all rows) and Sync, written once per read as one chunk instead of three
 * serialized anew (what pg-protocol's serializer writes for them; a unit test
 * compares the two).
 */
export function coverTail(name: string): Buffer {
  let tail = coverTails.get(name);
  if (tail) return tail;
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  // Portal "" (1 byte), the name, 0 parameter formats, 0 parameters, 1 result format: text.
  const bindBody = Buffer.concat([
    Buffer.from([0]),
    nameBytes,
    Buffer.from([0, 0, 0, 0, 0, 1, 0, 0]),
  ]);
  const bindHead = Buffer.alloc(5);
  bindHead.write('B', 0, 'latin1');
  bindHead.writeInt32BE(bindBody.length + 4, 1);
  const execute = Buffer.from([0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0]); // 'E', portal "", no row limit
  const sync = Buffer.from([0x53, 0, 0, 0, 4]); // 'S'
  tail = Buffer.concat([bindHead, bindBody, execute, sync]);
  coverTails.set(name, tail);
  return tail;
}
