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
      "process.on('SIGTERM', () => setTimeout(() => process.exit(0), 300)); setInterval(() => {}, 1000)";
    const first = processes.run('first', { command: process.execPath, args: ['-e', slow] });
    const second = processes.run('second', { command: process.execPath, args: ['-e', slow] });
    await new Promise((resolve) => setTimeout(resolve, 300)); // their handlers are on
    processes.beginStop();
    const since = Date.now();
    const clean = await processes.stopInStages([
      { names: ['first'], group: true },
      { names: ['second', 'never-started'], group: true },
    ]);
    expect(clean).toBe(true);
    // One stage after the other: two closes of 300 ms each, not one.
    expect(Date.now() - since).toBeGreaterThanOrEqual(550);
    expect([alive(first.pid), alive(second.pid)]).toEqual([false, false]);
    expect(exits).toEqual([]); // expected exits, after beginStop
  });
});
