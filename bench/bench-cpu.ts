import { readdir, readFile } from 'node:fs/promises';

/**
 * CPU seconds of processes from Linux /proc, for splitting a bench's cost between the bot and
 * PostgreSQL. Undefined where /proc is missing or the process is gone.
 */
const CLK_TCK = 100;

interface ProcStat {
  ppid: number;
  /** utime + stime, seconds. */
  cpu: number;
  /** cutime + cstime: children it has reaped, seconds. */
  reaped: number;
}

async function statOf(pid: number): Promise<ProcStat | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // Field 2 (the command) is in parentheses and may hold spaces: split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const n = (field: number): number => Number(fields[field - 3]);
  return { ppid: n(4), cpu: (n(14) + n(15)) / CLK_TCK, reaped: (n(16) + n(17)) / CLK_TCK };
}

/** CPU seconds used so far by `pid` itself. */
export async function cpuOf(pid: number): Promise<number | undefined> {
  return (await statOf(pid))?.cpu;
}

/** CPU seconds used so far by the children `pid` has reaped (for this process: psql runs that have exited). */
export async function reapedCpuOf(pid: number): Promise<number | undefined> {
  return (await statOf(pid))?.reaped;
}

export interface ServerCpu {
  live: Map<number, number>;
  reaped: number;
}

/** PostgreSQL's CPU so far: its live processes (backends, walwriter, checkpointer…) and the ones that exited. */
export async function serverCpu(postmaster: number): Promise<ServerCpu | undefined> {
  const reaped = await reapedCpuOf(postmaster);
  if (reaped === undefined) return undefined;
  return { live: await childrenCpu(postmaster), reaped };
}

/** CPU seconds PostgreSQL used between two readings (a process that exited in between counts whole). */
export function serverDelta(before: ServerCpu, after: ServerCpu): number {
  return childrenDelta(before.live, after.live) + (after.reaped - before.reaped);
}

/** CPU seconds used so far by each live child of `parent` (PostgreSQL's backends under the postmaster), by pid. */
export async function childrenCpu(parent: number): Promise<Map<number, number>> {
  const out = new Map<number, number>();
  const entries = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        const s = await statOf(Number(e));
        if (s && s.ppid === parent) out.set(Number(e), s.cpu);
      }),
  );
  return out;
}

/** CPU seconds the children used between two childrenCpu readings (a child born in between counts whole; one that exited is lost). */
export function childrenDelta(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, cpu] of after) sum += cpu - (before.get(pid) ?? 0);
  return sum;
}

/** The postmaster's pid from a local data directory, when readable. */
export async function postmasterPid(dataDirectory: string): Promise<number | undefined> {
  const text = await readFile(`${dataDirectory}/postmaster.pid`, 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}
