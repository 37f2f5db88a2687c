import { DateTime } from 'luxon';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/pg/pool.js';
import { pgStore } from '../../src/adapters/pg/store.js';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { Scheduler } from '../../src/app/scheduler.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { RecordingSink } from '../support/sinks.js';

const db = useTestDatabase();
const MIN = 60_000;
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const clock = new TestClock(new Date('2026-03-01T05:00:00Z'));
let app: AppDeps;
let pools: pg.Pool[] = [];
let sink: RecordingSink;

/** A bot replica: its own pool (its own connections) and worker id, sharing the database. */
function replica(name: string): Scheduler {
  const pool = createPool(db.url, { max: 4, applicationName: `replica ${name}` });
  pools.push(pool);
  const deps: AppDeps = { ...app, store: pgStore(pool) };
  return new Scheduler(deps, deps.store.outbox, {
    evaluateCron: '* * * * *',
    outboxCron: '* * * * *',
    repeatIntervalMs: 4 * 60 * MIN,
    worker: { worker: name, sinks: new Map([['console', sink]]), random: () => 0.5 },
    logger: silent,
  });
}

const run = (line: string) => runCommand(app, { ...admin, defaultRoadmap: 'example' }, line, 'cli');
const sentDigests = async () =>
  (
    await db.pool.query(
      `SELECT channel_id, idempotency_key, sent_at, message->>'title' AS title FROM deliveries WHERE kind = 'digest' AND status = 'sent' ORDER BY sent_at`,
    )
  ).rows;

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('example'), clock);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  pools = [];
});

beforeEach(async () => {
  await db.pool.query(
    'TRUNCATE metric_points, trigger_states, alert_episodes, subscriptions, deliveries, digest_snapshots, audit_log RESTART IDENTITY CASCADE',
  );
  sink = new RecordingSink();
});

describe('exactly once with several replicas', () => {
  it('two schedulers on one database for a simulated week deliver every alert and digest exactly once', async () => {
    clock.set('2026-03-01T05:00:00Z'); // midnight in New York
    await run('subscribe alerts --channel console:ops');
    await run('subscribe digest 09:00 America/New_York --channel console:standup');
    await run('subscribe digest 18:30 Europe/Paris --channel console:paris');
    const a = replica('A');
    const b = replica('B');
    const step = 30 * MIN;
    // Users climb past 400 (firing), fall back (resolved), climb again; DB CPU spikes twice.
    const users = (hour: number) => 300 + Math.round(150 * Math.sin(hour / 20));
    for (let t = 0; t < 7 * 24 * 60; t += 30) {
      const hour = t / 60;
      await run(`record active_users ${users(hour)}`);
      await run('record response_time_p95 400ms');
      await run(`record database_cpu ${hour % 50 < 3 ? 90 : 40}%`);
      await Promise.all([a.tick(clock.now()), b.tick(clock.now())]);
      clock.advance(step);
    }

    const rows = (
      await db.pool.query(`SELECT idempotency_key, kind, status FROM deliveries ORDER BY id`)
    ).rows;
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    const posted = rows.filter((r) => r.kind !== 'update');
    // Every outbox row was sent exactly once: as many posts as rows, no key twice.
    expect(sink.posts).toHaveLength(posted.length);
    expect(sink.updates).toHaveLength(rows.length - posted.length);
    expect(new Set(rows.map((r) => r.idempotency_key)).size).toBe(rows.length);
    const kinds = posted.reduce<Record<string, number>>(
      (n, r) => ({ ...n, [r.kind]: (n[r.kind] ?? 0) + 1 }),
      {},
    );
    expect(kinds.firing).toBeGreaterThanOrEqual(3);
    expect(kinds.resolved).toBeGreaterThanOrEqual(3);
    // One digest per channel per local day.
    const digests = await sentDigests();
    const perChannel = (channel: string) =>
      digests.filter((d) => d.channel_id === channel).map((d) => d.idempotency_key.split(':')[2]);
    expect(perChannel('standup')).toEqual([
      '2026-03-01',
      '2026-03-02',
      '2026-03-03',
      '2026-03-04',
      '2026-03-05',
      '2026-03-06',
      '2026-03-07',
    ]);
    expect(new Set(perChannel('paris')).size).toBe(perChannel('paris').length);
    expect(perChannel('paris')).toHaveLength(7);
    // Episodes never overlap: one open episode per trigger at a time.
    const open = await db.pool.query(
      `SELECT trigger_id, count(*) AS n FROM alert_episodes WHERE resolved_at IS NULL GROUP BY 1 HAVING count(*) > 1`,
    );
    expect(open.rows).toEqual([]);
  }, 120_000);

  it('sends the 09:00 New York digest at 09:00 local every day across both DST changes, once', async () => {
    clock.set('2026-03-07T04:00:00Z'); // subscribed 23:00 on March 6 in New York
    await run('subscribe digest 09:00 America/New_York --channel console:standup');
    const s = replica('A');
    for (const [from, to] of [
      ['2026-03-07T05:00:00Z', '2026-03-10T04:00:00Z'],
      ['2026-10-31T04:00:00Z', '2026-11-03T05:00:00Z'],
    ] as const) {
      for (let t = Date.parse(from); t < Date.parse(to); t += 10 * MIN) {
        clock.set(new Date(t));
        await s.tick(clock.now());
      }
    }
    const sent = (await sentDigests()).map((d) => [
      d.idempotency_key.split(':')[2],
      DateTime.fromJSDate(d.sent_at, { zone: 'America/New_York' }).toFormat('HH:mm'),
      d.title.endsWith('(late)'),
    ]);
    expect(sent).toEqual([
      ['2026-03-07', '09:00', false],
      ['2026-03-08', '09:00', false], // DST starts at 02:00
      ['2026-03-09', '09:00', false],
      // The clock jumps from March to October (as if the bot were down): October 30's digest
      // goes out once, late, on the first tick back.
      ['2026-10-30', '00:00', true],
      ['2026-10-31', '09:00', false],
      ['2026-11-01', '09:00', false], // DST ends at 02:00
      ['2026-11-02', '09:00', false],
    ]);
  }, 60_000);

  it('sends a digest missed while every replica was down once on recovery, marked late', async () => {
    clock.set('2026-03-02T05:00:00Z');
    await run('subscribe digest 09:00 America/New_York --channel console:standup');
    const s = replica('A');
    await s.tick(clock.now()); // 00:00: the day before the subscription is not due
    clock.set('2026-03-02T13:50:00Z'); // 08:50: up, nothing due yet
    await s.tick(clock.now());
    // Every replica down from 08:50 until 11:00.
    clock.set('2026-03-02T16:00:00Z');
    await Promise.all([s.tick(clock.now()), replica('B').tick(clock.now())]);
    clock.advance(MIN);
    await s.tick(clock.now());
    const digests = await sentDigests();
    expect(digests.map((d) => d.title)).toEqual([
      'Daily digest — Example SaaS — scaling roadmap — 2026-03-02 (late)',
    ]);
  });
});
