import { beforeAll, describe, expect, it } from 'vitest';
import { pgOutbox } from '../../src/adapters/pg/outbox.js';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { Scheduler } from '../../src/app/scheduler.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { RecordingSink } from '../support/sinks.js';

// Triggers of the kinds format "Version 2" adds (`<track>.upgrade`, `budget.<line>`) go
// through the same engine as upgrades and alerts: their episodes must be storable.
const db = useTestDatabase();
const MIN = 60_000;
const clock = new TestClock(new Date('2026-05-02T10:00:00Z'));
let app: AppDeps;
const silent = { info() {}, warn() {}, error() {}, debug() {} };

const run = (line: string) =>
  runCommand(app, { ...admin, defaultRoadmap: 'example-v2' }, line, 'cli');

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('example-v2'), clock);
});

describe('v2 triggers through the alert engine', () => {
  it('opens and posts an episode for a track upgrade and a budget line, once', async () => {
    const sink = new RecordingSink('console');
    const scheduler = new Scheduler(app, pgOutbox(db.pool), {
      evaluateCron: '* * * * *',
      outboxCron: '* * * * *',
      repeatIntervalMs: 4 * 60 * MIN,
      worker: { worker: 'w1', sinks: new Map([['console', sink]]), random: () => 0.5 },
      logger: silent,
    });
    expect((await run('subscribe alerts info --channel console:ops')).exitCode).toBe(0);
    // 60 users: the database track's `pro` step (>= 50) is due while `free` is current;
    // ai_api max is 0.25 * 60 = 15, and 40 is over it.
    await run('record active_users 60');
    await run('record ai_api_cost 40');
    clock.advance(MIN);
    await scheduler.tick(clock.now());
    clock.advance(MIN);
    await scheduler.tick(clock.now());

    const { rows } = await db.pool.query<{ trigger_id: string; kind: string }>(
      'SELECT trigger_id, kind FROM alert_episodes ORDER BY trigger_id',
    );
    expect(rows).toEqual([
      { trigger_id: 'budget.ai_api', kind: 'budget' },
      { trigger_id: 'database.upgrade', kind: 'track' },
    ]);
    const fired = sink.titles().filter((t) => t.includes('firing'));
    expect(fired).toHaveLength(2);
  });
});
