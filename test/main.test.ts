import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { roadmapsFolder } from './support/app.js';
import { useTestDatabase } from './support/db.js';
import { cli, startMain } from './support/spawn.js';

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

describe('the main job (npm start)', () => {
  it('serves /healthz and /readyz, says what is configured, and stops cleanly on SIGTERM', async () => {
    const main = await boot({
      DATABASE_URL: db.url,
      ROADMAPS_DIR: roadmapsFolder('oviya', 'mirai'),
    });
    try {
      expect((await fetch(`${main.base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${main.base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({
        status: 'ready',
        checks: { database: 'ok', roadmaps: '2 loaded, 0 with errors' },
      });
      const logs = main.logs();
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
