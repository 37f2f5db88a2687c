import { readdir, readFile } from 'node:fs/promises';

/**
 * Linux /proc readings for the HTTP load bench: resident size of a process, and CPU time of a
 * process tree (itself, its live descendants, and the children it has already reaped). Returns
 * undefined where /proc is missing (not Linux) or the process is gone.
 */

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on every Linux port we run on). */
const CLK_TCK = 100;

export interface Memory {
  /** VmRSS: resident now, bytes. */
  rss: number;
  /** VmHWM: the peak resident size since the process started, bytes. */
  hwm: number;
}

export async function memoryOf(pid: number): Promise<Memory | undefined> {
  const text = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const kb = (key: string): number =>
    Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

interface Stat {
  ppid: number;
  /** utime + stime, seconds. */
  own: number;
  /** cutime + cstime (reaped children), seconds. */
  reaped: number;
}

async function statOf(pid: number): Promise<Stat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17.
  const n = (field: number): number => Number(fields[field - 3]);
  return { ppid: n(4), own: (n(14) + n(15)) / CLK_TCK, reaped: (n(16) + n(17)) / CLK_TCK };
}

/** Every live process's parent, for walking trees. */
async function parents(): Promise<Map<number, number[]>> {
  const children = new Map<number, number[]>();
  const entries = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const stat = await statOf(Number(e));
        if (!stat) return;
        const list = children.get(stat.ppid) ?? [];
        list.push(Number(e));
        children.set(stat.ppid, list);
      }),
  );
  return children;
}

export interface Usage {
  /** CPU seconds used so far: the root, every live descendant, and what reaped children used. */
  cpu: number;
  /**
   * Seconds the tree's live threads have spent runnable but waiting for a CPU (schedstat's
   * run-queue wait): how much the machine's other work held this party back.
   */
  runQueueWait: number;
}

/** Run-queue wait of every thread of `pid`, seconds. */
async function runQueueWaitOf(pid: number): Promise<number> {
  const tasks = await readdir(`/proc/${pid}/task`).catch(() => [] as string[]);
  const waits = await Promise.all(
    tasks.map((t) => readFile(`/proc/${pid}/task/${t}/schedstat`, 'utf8').catch(() => '0 0 0')),
  );
  return waits.reduce((sum, text) => sum + Number(text.split(' ')[1] ?? 0) / 1e9, 0);
}

/**
 * CPU and run-queue wait of each root's tree (a descendant that exited under a live child is
 * counted by that child's reaped time). Undefined for a root that is gone.
 */
export async function treeUsage(roots: number[]): Promise<(Usage | undefined)[]> {
  const children = await parents();
  return Promise.all(
    roots.map(async (root) => {
      const top = await statOf(root);
      if (!top) return undefined;
      let cpu = top.own + top.reaped;
      let runQueueWait = await runQueueWaitOf(root);
      const queue = [...(children.get(root) ?? [])];
      const seen = new Set<number>([root]);
      while (queue.length > 0) {
        const pid = queue.shift() as number;
        if (seen.has(pid)) continue;
        seen.add(pid);
        const s = await statOf(pid);
        if (s) cpu += s.own + s.reaped;
        runQueueWait += await runQueueWaitOf(pid);
        queue.push(...(children.get(pid) ?? []));
      }
      return { cpu, runQueueWait };
    }),
  );
}

export interface MachineCpu {
  /** Seconds of CPU time spent busy (user, nice, system, irq, softirq), summed over CPUs. */
  busy: number;
  /** Seconds the hypervisor ran something else while a vCPU wanted to run. */
  steal: number;
}

/** The machine's CPU time so far, from /proc/stat. */
export async function machineCpu(): Promise<MachineCpu | undefined> {
  const text = await readFile('/proc/stat', 'utf8').catch(() => undefined);
  const cpu = text?.split('\n')[0]?.split(/\s+/).slice(1).map(Number);
  if (!cpu || cpu.length < 8) return undefined;
  const [user, nice, system, , , irq, softirq, steal] = cpu as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { busy: (user + nice + system + irq + softirq) / CLK_TCK, steal: steal / CLK_TCK };
}

/** Live descendants of `root` (for the report: does the bot run helper processes?). */
export async function descendants(root: number): Promise<number[]> {
  const children = await parents();
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** What a process runs (its command line, shortened), for the report. */
export async function commandOf(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return text?.split('\0').filter(Boolean).join(' ').slice(0, 160);
}

/** The postmaster's pid from the data directory's postmaster.pid, when the server is local. */
export async function postmasterPid(dataDirectory: string): Promise<number | undefined> {
  const text = await readFile(`${dataDirectory}/postmaster.pid`, 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
