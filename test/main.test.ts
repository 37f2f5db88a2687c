import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { keyPair } from './discord/harness.js';
import { roadmapsFolder } from './support/app.js';
import { useTestDatabase } from './support/db.js';
import { listening, processTree, stillRunning, type ProcessRef } from './support/processes.js';
import { cli, MAIN, ROOT, startMain } from './support/spawn.js';

const db = useTestDatabase();

/** Starts the main job and waits until it says where it listens. */
async function boot(env: Record<string, string>) {
  const main = startMain({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
  const port = await vi.waitFor(
    () => {
      const match = /http: listening on 127\.0\.0\.1:(\d+)/.exec(main.logs());
      if (!match) throw new Error(`not listening yet:\n${main.logs()}`);
      return Number(match[1]);
    },
    { timeout: 60_000, interval: 50 },
  );
  return { ...main, base: `http://127.0.0.1:${port}` };
}

/** The main job with Discord's interactions route on (so the acknowledgement warm-up runs). */
const bootWithDiscord = (env: Record<string, string>) =>
  boot({
    DATABASE_URL: db.url,
    ROADMAPS_DIR: roadmapsFolder('oviya'),
    DISCORD_PUBLIC_KEY: keyPair().publicKeyHex,
    ...env,
  });

describe('the main job (npm start)', () => {
  it('serves /healthz and /readyz, says what is configured, and stops cleanly on SIGTERM', async () => {
    const main = await boot({
      DATABASE_URL: db.url,
      ROADMAPS_DIR: roadmapsFolder('oviya', 'mirai'),
    });
    try {
      expect((await fetch(`${main.base}/healthz`)).status).toBe(200);
      // The boot warm-up ran before the server listened: ready at once.
      const ready = await fetch(`${main.base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: {
          database: 'ok',
          roadmaps: '2 loaded, 0 with errors',
          warmup: expect.stringMatching(/^done in \d+ ms$/),
        },
      });
      const logs = main.logs();
      expect(logs).toMatch(
        /warm-up: 4\/4 connections opened and primed, 2\/2 roadmaps evaluated \(mirai, oviya\)/,
      );
      expect(logs).toMatch(/database: DATABASE_URL/);
      expect(logs).toMatch(/roadmaps: 2 loaded/);
      expect(logs).toMatch(/discord: not configured/);
      expect(logs).toMatch(/slack: off/);
      expect(logs).toMatch(/alerts and digests go to: console/);
      // The database password never reaches the logs.
      expect(logs).not.toContain(new URL(db.url).password || 'no-password-in-url');
    } finally {
      main.child.kill('SIGTERM');
    }
    expect(await main.exited).toBe(0);
  });

  it('with a chat route, warms its acknowledgements through a loopback twin before it listens', async () => {
    const main = await bootWithDiscord({ WARM_UP_BURSTS: '2', WARM_UP_BURST_SIZE: '10' });
    try {
      const logs = main.logs();
      const warmed = logs.search(
        /warm-up: acknowledgements: 20 requests in bursts of 10, 20 refused at the signature check as meant in \d+ ms/,
      );
      expect(warmed).toBeGreaterThan(-1);
      expect(warmed).toBeLessThan(logs.search(/http: listening/));
      // Refused as meant: no warning, and nothing the bursts sent was taken as an interaction.
      expect(logs).not.toMatch(/"level":(40|50)/);
      const ready = await fetch(`${main.base}/readyz`);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: {
          warmup: expect.stringMatching(/^done in \d+ ms; acknowledgements: 20 in \d+ ms$/),
        },
      });
      const { rows } = await db.pool.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM seen_interactions',
      );
      expect(rows[0]?.n).toBe(0);
    } finally {
      main.child.kill('SIGTERM');
    }
    expect(await main.exited).toBe(0);
  });

  it('stops the acknowledgement warm-up at WARM_UP_TIMEOUT with a warning, and starts anyway', async () => {
    const main = await bootWithDiscord({ WARM_UP_TIMEOUT: '100ms', WARM_UP_BURSTS: '50' });
    try {
      expect(main.logs()).toMatch(
        /"level":40,.*warm-up: acknowledgements: \d+ requests in bursts of 200, \d+ refused at the signature check as meant(; unexpected: [^;]*)?; \d+ bursts skipped \(WARM_UP_TIMEOUT\) in \d+ ms; starting anyway/,
      );
      expect((await fetch(`${main.base}/readyz`)).status).toBe(200);
    } finally {
      main.child.kill('SIGTERM');
    }
    expect(await main.exited).toBe(0);
  });

  it('takes no request until the boot warm-up is over, and is ready then', async () => {
    // Every status reads stage_transitions first: while it is locked the warm-up cannot end.
    const locker = await db.pool.connect();
    let main: ReturnType<typeof startMain> | undefined;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE stage_transitions IN ACCESS EXCLUSIVE MODE');
      main = startMain({
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        DATABASE_URL: db.url,
        ROADMAPS_DIR: roadmapsFolder('oviya'),
        WARM_UP_TIMEOUT: '10m',
      });
      // The warm-up's statuses wait for the lock.
      await vi.waitFor(
        async () => {
          const { rows } = await db.pool.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE application_name = 'roadmap-bot' AND wait_event_type = 'Lock'`,
          );
          expect(rows[0]?.n).toBeGreaterThan(0);
        },
        { timeout: 60_000, interval: 50 },
      );
      expect(main.logs()).not.toMatch(/http: listening|warm-up:/);
      await locker.query('ROLLBACK');
      const port = await vi.waitFor(
        () => {
          const match = /http: listening on 127\.0\.0\.1:(\d+)/.exec(main?.logs() ?? '');
          if (!match) throw new Error('not listening yet');
          return Number(match[1]);
        },
        { timeout: 60_000, interval: 50 },
      );
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        checks: { warmup: expect.stringMatching(/^done in \d+ ms$/) },
      });
      expect(main.logs()).toMatch(/warm-up: 4\/4 connections opened and primed, 1\/1 roadmaps/);
      main.child.kill('SIGTERM');
      expect(await main.exited).toBe(0);
    } finally {
      main?.child.kill('SIGKILL');
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
  });

  it.skipIf(process.env.DATABASE_URL !== undefined)(
    'with no DATABASE_URL runs an embedded PostgreSQL that persists under DATA_DIR and that the CLI shares (skipped when DATABASE_URL is set)',
    async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'roadmap-data-'));
      const env = { DATA_DIR: dataDir, ROADMAPS_DIR: roadmapsFolder('oviya'), DATABASE_URL: '' };
      const first = await boot(env);
      try {
        expect(first.logs()).toMatch(/database: embedded PostgreSQL/);
        // The CLI reuses the running server instead of starting a second one on the same folder.
        const recorded = await cli(['record', 'active_users', '420'], env);
        expect(recorded.code, recorded.stderr).toBe(0);
      } finally {
        first.child.kill('SIGTERM');
      }
      expect(await first.exited).toBe(0);

      const second = await boot(env);
      try {
        expect((await fetch(`${second.base}/readyz`)).status).toBe(200);
        const status = await cli(['status', '--json'], env);
        expect(JSON.parse(status.stdout).triggers[0]).toMatchObject({
          id: 'tier0.upgrade',
          state: 'firing',
        });
      } finally {
        second.child.kill('SIGINT');
      }
      expect(await second.exited).toBe(0);
    },
    120_000,
  );
});

/** SHUTDOWN_TIMEOUT_MS of src/main.ts: after it the bot exits whatever is still open. */
const SHUTDOWN_TIMEOUT_MS = 15_000;
const EMBEDDED = process.env.DATABASE_URL === undefined;

/** Starts the bot the way a supervisor would: `command` is the process it will signal. */
function launch(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
  });
  let logs = '';
  child.stdout.on('data', (d: Buffer) => (logs += d.toString()));
  child.stderr.on('data', (d: Buffer) => (logs += d.toString()));
  // 'exit', not 'close': an orphan that inherited the pipes would keep them open.
  let result: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  child.on('exit', (code, signal) => (result = { code, signal }));
  let closed = false;
  child.on('close', () => (closed = true));
  return { child, logs: () => logs, result: () => result, closed: () => closed };
}

/** The postmaster's pid from its lock file, which a clean shutdown removes. */
function postmasterOf(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

/**
 * Sends SIGTERM to the started process alone (as `docker stop` or `kill <pid>` does, not to its
 * process group) and checks that within the shutdown timeout it exited, that nothing it started
 * still runs, and that the port is closed. Kills whatever is left, so a failure leaks nothing.
 */
async function expectCleanStop(
  run: ReturnType<typeof launch>,
  port: number | undefined,
  exitCodes: number[],
): Promise<void> {
  const tree: ProcessRef[] = processTree(run.child.pid as number);
  try {
    run.child.kill('SIGTERM');
    await vi.waitFor(() => expect(run.result(), run.logs()).toBeDefined(), {
      timeout: SHUTDOWN_TIMEOUT_MS,
      interval: 50,
    });
    // Exited by itself (a code, not killed by the signal), with one of the codes expected.
    expect(run.result()?.signal, run.logs()).toBeNull();
    expect(exitCodes, run.logs()).toContain(run.result()?.code);
    await vi.waitFor(() => expect(stillRunning(tree).map((p) => p.command)).toEqual([]), {
      timeout: SHUTDOWN_TIMEOUT_MS,
      interval: 50,
    });
    if (port !== undefined) expect(await listening(port)).toBe(false);
    // Every process that held its output is gone, so the last log lines are in.
    await vi.waitFor(() => expect(run.closed()).toBe(true), { timeout: 5_000, interval: 20 });
  } finally {
    for (const p of stillRunning(tree)) {
      try {
        // SIGINT is PostgreSQL's fast shutdown; for Node it ends it too.
        process.kill(p.pid, 'SIGINT');
      } catch {
        // already gone
      }
    }
  }
}

async function listeningPort(run: ReturnType<typeof launch>): Promise<number> {
  return vi.waitFor(
    () => {
      const match = /http: listening on 127\.0\.0\.1:(\d+)/.exec(run.logs());
      if (!match) throw new Error(`not listening yet:\n${run.logs()}`);
      return Number(match[1]);
    },
    { timeout: 60_000, interval: 50 },
  );
}

describe('stopping on SIGTERM to the process that was started', () => {
  // npm runs a script as `sh -c '<script>'`, and forwards SIGTERM to that shell only. dash (the
  // /bin/sh of Debian and of the node images) forks instead of exec'ing the last command and
  // dies of the signal without passing it on: npm exited 143 and the bot ran on, orphaned. The
  // start script exec's node, so npm's signal reaches the bot itself.
  it(`npm start: npm exits 0, and the bot${EMBEDDED ? ', its embedded PostgreSQL' : ''} and every process they started are gone, the port closed`, async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'roadmap-data-'));
    const run = launch('npm', ['start'], {
      DATA_DIR: dataDir,
      ROADMAPS_DIR: roadmapsFolder('oviya'),
      DATABASE_URL: EMBEDDED ? '' : db.url,
    });
    const port = await listeningPort(run);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    // The bot is the compiled build, run by node itself: no tsx, no TypeScript compiled at start.
    const commands = processTree(run.child.pid as number).map((p) => p.command);
    expect(commands.filter((c) => /^\S*node dist\/main\.js$/.test(c))).toHaveLength(1);
    expect(commands.filter((c) => /tsx|\.ts\b/.test(c))).toEqual([]);
    const postmaster = EMBEDDED ? postmasterOf(dataDir) : undefined;
    if (EMBEDDED) {
      expect(postmaster).toBeGreaterThan(0);
      expect(processTree(run.child.pid as number).map((p) => p.pid)).toContain(postmaster);
    }
    await expectCleanStop(run, port, [0]);
    expect(run.logs()).toMatch(/SIGTERM: shutting down/);
    expect(run.logs()).toMatch(/"stopped"/);
    // The postmaster shut down cleanly: it removes its lock file only then.
    if (EMBEDDED) expect(postmasterOf(dataDir)).toBeUndefined();
  }, 120_000);

  it("the Dockerfile CMD (node as the container's process): exits 0 and leaves nothing running", async () => {
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'));
    const [command, ...args] = JSON.parse(cmd?.[1] ?? '[]') as string[];
    expect(command).toBe('node');
    // The build the image's build stage made (here: the one the test setup made).
    expect(args).toEqual(['dist/main.js']);
    const run = launch(process.execPath, args, {
      ROADMAPS_DIR: roadmapsFolder('oviya'),
      DATABASE_URL: db.url,
    });
    const port = await listeningPort(run);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    await expectCleanStop(run, port, [0]);
  }, 120_000);

  it.skipIf(!EMBEDDED)(
    'a SIGTERM during start-up (embedded PostgreSQL up, migrations next) stops PostgreSQL too (skipped when DATABASE_URL is set)',
    async () => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'roadmap-data-'));
      const run = launch(process.execPath, [MAIN], {
        DATA_DIR: dataDir,
        ROADMAPS_DIR: roadmapsFolder('oviya'),
        DATABASE_URL: '',
      });
      // Logged once the embedded server is ready, before migrations, roadmaps and the port.
      await vi.waitFor(() => expect(run.logs()).toMatch(/database: embedded PostgreSQL/), {
        timeout: 60_000,
        interval: 10,
      });
      const postmaster = postmasterOf(dataDir);
      expect(postmaster).toBeGreaterThan(0);
      // 143 (128 + SIGTERM) during start-up; 0 should start-up have finished in the meantime.
      await expectCleanStop(run, undefined, [143, 0]);
      expect(postmasterOf(dataDir)).toBeUndefined();
    },
    120_000,
  );
});
