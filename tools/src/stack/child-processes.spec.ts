import { ChildProcesses } from './child-processes';

const alive = (pid: number | undefined) => {
  try {
    process.kill(pid!, 0);
    return true;
  } catch {
    return false;
  }
};

describe('ChildProcesses.stopInStages', () => {
  it('stops each stage in order, and says whether every child stopped', async () => {
    const exits: string[] = [];
    const processes = new ChildProcesses(8, (name) => exits.push(name));
    // Each ends on SIGTERM only after 300 ms: a second stage begun early would overlap the first.
    const slow =
      "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300)); console.log('ready'); " +
      'setInterval(() => {}, 1000)';
    const start = (name: string) => {
      let child!: ReturnType<ChildProcesses['run']>;
      const ready = new Promise<void>((resolve) => {
        const onLine = (line: string) => line === 'ready' && resolve();
        child = processes.run(name, { command: process.execPath, args: ['-e', slow], onLine });
      });
      return { child, ready };
    };
    const [first, second] = [start('first'), start('second')];
    await Promise.all([first.ready, second.ready]); // their handlers are on
    processes.beginStop();
    const since = Date.now();
    const clean = await processes.stopInStages([
      { names: ['first'], group: true },
      { names: ['second', 'never-started'], group: true },
    ]);
    expect(clean).toBe(true);
    // One stage after the other: two closes of 300 ms each, not one.
    expect(Date.now() - since).toBeGreaterThanOrEqual(550);
    expect([alive(first.child.pid), alive(second.child.pid)]).toEqual([false, false]);
    expect(exits).toEqual([]); // expected exits, after beginStop
  });
});
