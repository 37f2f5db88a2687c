import { beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
let app: AppDeps;

beforeAll(async () => {
  app = await appWith(
    db.pool,
    roadmapsFolder('oviya'),
    new TestClock(new Date('2026-03-01T12:00:00Z')),
  );
});

describe('admission of chat commands', () => {
  it('runs a chat command only when admitted, and the CLI at once', async () => {
    const waiting: (() => void)[] = [];
    // An admission gate the test opens by hand: each command waits until released.
    const gated: AppDeps = {
      ...app,
      admit: <T>(work: () => Promise<T>) =>
        new Promise<void>((release) => waiting.push(release)).then(work),
    };
    const who = { ...admin, defaultRoadmap: 'oviya' };
    const chat = runCommand(gated, who, 'record active_users 420', 'chat');
    let done = false;
    void chat.then(() => (done = true));
    expect((await runCommand(gated, who, 'status --json', 'cli')).exitCode).toBe(0); // not gated
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    expect(waiting).toHaveLength(1);
    expect(Number((await db.pool.query(`SELECT count(*) AS n FROM metric_points`)).rows[0].n)).toBe(
      0,
    );
    waiting[0]?.();
    expect((await chat).exitCode).toBe(0);
    expect(Number((await db.pool.query(`SELECT count(*) AS n FROM metric_points`)).rows[0].n)).toBe(
      1,
    );
  });
});
