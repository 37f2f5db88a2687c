import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** A process as /proc shows it; `started` (clock ticks since boot) tells a reused pid apart. */
export interface ProcessRef {
  pid: number;
  started: string;
  command: string;
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and ')'. */
function stat(pid: number): { state: string; ppid: number; started: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // state is field 3 of stat, ppid field 4, starttime field 22 (proc(5)).
  return { state: fields[0] ?? '', ppid: Number(fields[1]), started: fields[19] ?? '' };
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '?';
  }
}

/** `root` and every process descended from it, now (Linux /proc). */
export function processTree(root: number): ProcessRef[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const s = stat(pid);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  }
  const tree: ProcessRef[] = [];
  const walk = (pid: number): void => {
    const s = stat(pid);
    if (!s) return;
    tree.push({ pid, started: s.started, command: commandOf(pid) });
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  return tree;
}

/** Those of `processes` still running (a zombie has finished; its parent just has not reaped it). */
export function stillRunning(processes: readonly ProcessRef[]): ProcessRef[] {
  return processes.filter((p) => {
    const s = stat(p.pid);
    return s !== undefined && s.started === p.started && s.state !== 'Z';
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
