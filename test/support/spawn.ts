import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the `roadmap` CLI as a user would (bin/roadmap.js: the build), with its own environment. */
export function cli(args: string[], env: Record<string, string>, cwd = ROOT): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/roadmap.js'), ...args], {
      cwd,
      env: { ...process.env, LOG_LEVEL: 'silent', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm start`'s entry point: the compiled build, which the test setup builds when stale. */
export const MAIN = path.join(ROOT, 'dist/main.js');

/** Starts the main job (`npm start`'s entry point) and collects its log lines. */
export function startMain(env: Record<string, string>): {
  child: ChildProcess;
  logs: () => string;
  exited: Promise<number | null>;
} {
  // One process, as in production, so a SIGKILL kills the bot itself.
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, ...env },
  });
  let logs = '';
  child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => resolve(code)),
  );
  return { child, logs: () => logs, exited };
}
