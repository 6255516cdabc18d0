// CPU time of the benchmark's child processes (the Chromium that Playwright starts), read from
// /proc on Linux. Wall-clock throughput on a machine shared with other work moves a lot from run
// to run; CPU-seconds per token show how much work each runtime spends on the same texts.
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function descendantsOf(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(Number(entry));
    if (fields) parents.set(Number(entry), Number(fields[1]));
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const parent = queue.shift() as number;
    for (const [pid, ppid] of parents) {
      if (ppid === parent) {
        found.push(pid);
        queue.push(pid);
      }
    }
  }
  return found;
}

/**
 * CPU seconds (user + system) used so far by every process descended from this one, or null
 * where /proc is not available. Processes that exit in between drop out, so take the difference
 * of two readings around work that keeps the same processes alive.
 */
export function childrenCpuSeconds(): number | null {
  try {
    let ticks = 0;
    for (const pid of descendantsOf(process.pid)) {
      const fields = statFields(pid);
      if (fields) ticks += Number(fields[11]) + Number(fields[12]);
    }
    return ticks / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU seconds used by this process so far (all of its threads). */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}
