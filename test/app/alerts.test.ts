import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pgOutbox } from '../../src/adapters/pg/outbox.js';
import type { AppDeps } from '../../src/app/context.js';
import { evaluateAndNotify } from '../../src/app/alerts/engine.js';
import { runCommand } from '../../src/app/run.js';
import { Scheduler } from '../../src/app/scheduler.js';
import { renderText } from '../../src/core/messages/text.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { RecordingSink } from '../support/sinks.js';

const db = useTestDatabase();
const MIN = 60_000;
const HOUR = 60 * MIN;
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
let app: AppDeps;
let sink: RecordingSink;
let scheduler: Scheduler;

const run = (line: string) => runCommand(app, { ...admin, defaultRoadmap: 'example' }, line, 'cli');
const silent = { info() {}, warn() {}, error() {}, debug() {} };

async function tick(minutes = 1) {
  clock.advance(minutes * MIN);
  await scheduler.tick(clock.now());
}

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('example'), clock);
});

beforeEach(async () => {
  await db.pool.query(
    'TRUNCATE metric_points, trigger_states, alert_episodes, subscriptions, deliveries, digest_snapshots, stage_transitions, gate_checks, audit_log RESTART IDENTITY CASCADE',
  );
  clock.set('2026-03-02T12:00:00Z');
  sink = new RecordingSink('console');
  scheduler = new Scheduler(app, pgOutbox(db.pool), {
    evaluateCron: '* * * * *',
    outboxCron: '* * * * *',
    repeatIntervalMs: 4 * HOUR,
    worker: { worker: 'w1', sinks: new Map([['console', sink]]), random: () => 0.5 },
    logger: silent,
  });
  await run('subscribe alerts --channel console:ops');
});

describe('the alert engine', () => {
  it('fires once per channel, repeats after the interval while unacknowledged, and resolves once', async () => {
    await run('subscribe alerts warning --channel console:eng');
    await run('record active_users 420');
    await run('record response_time_p95 300ms');
    await tick();
    expect(sink.titles()).toEqual([
      'ops: Example SaaS — scaling roadmap: tier0.upgrade 🔥 firing',
      'eng: Example SaaS — scaling roadmap: tier0.upgrade 🔥 firing',
    ]);
    const first = sink.posts[0]!.message;
    expect(first.actions?.map((a) => a.command)).toEqual([
      'ack tier0.upgrade --roadmap example',
      'snooze tier0.upgrade 1d --roadmap example',
      'snooze tier0.upgrade 1w --roadmap example',
      'advance --roadmap example',
    ]);

    await tick(60);
    expect(sink.posts).toHaveLength(2); // still firing, inside the repeat interval
    await tick(3 * 60);
    expect(sink.titles().slice(2)).toEqual([
      'ops: Example SaaS — scaling roadmap: tier0.upgrade 🔥 still firing',
      'eng: Example SaaS — scaling roadmap: tier0.upgrade 🔥 still firing',
    ]);

    await run('record active_users 300');
    await tick();
    expect(sink.titles().slice(4)).toEqual([
      'ops: Example SaaS — scaling roadmap: tier0.upgrade ✔️ resolved',
      'eng: Example SaaS — scaling roadmap: tier0.upgrade ✔️ resolved',
    ]);
    // The original posts are edited in place to say it resolved, without buttons.
    expect(
      sink.updates.map((u) => [u.ref, u.message.footer?.startsWith('Resolved'), u.message.actions]),
    ).toEqual([
      ['m1', true, undefined],
      ['m2', true, undefined],
    ]);
    await tick(10 * 60);
    expect(sink.posts).toHaveLength(6);
    const history = renderText((await run('alerts history')).message);
    expect(history).toMatch(/#1 tier0\.upgrade \(warning\): fired .*, resolved/);
  });

  it('stops repeats once acknowledged, and shows who acknowledged on the original post', async () => {
    await run('record active_users 420');
    await run('record response_time_p95 300ms');
    await tick();
    expect((await run('ack tier0.upgrade')).exitCode).toBe(0);
    await tick(); // the edit goes out with the next drain
    expect(sink.updates.at(-1)?.message.footer).toMatch(/Acknowledged by alice/);
    await tick(12 * 60);
    expect(sink.posts).toHaveLength(1);
    const audit = await db.pool.query(`SELECT action, actor FROM audit_log WHERE action = 'ack'`);
    expect(audit.rows).toEqual([{ action: 'ack', actor: 'alice' }]);
    expect((await run('ack db-cpu-high')).exitCode).toBe(1); // not firing
  });

  it('snoozes repeats until the snooze ends', async () => {
    await run('record active_users 420');
    await run('record response_time_p95 300ms');
    await tick();
    await run('snooze tier0.upgrade 1d');
    await tick(23 * 60);
    expect(sink.posts).toHaveLength(1);
    await tick(2 * 60);
    expect(sink.titles().at(-1)).toMatch(/still firing/);
  });

  it('waits out `for` before firing, remembering pending across evaluations (db-cpu-high: for 10m)', async () => {
    await run('record database_cpu 85%');
    await tick();
    const pending = await db.pool.query(
      `SELECT state FROM trigger_states WHERE trigger_id = 'db-cpu-high'`,
    );
    expect(pending.rows[0].state).toBe('pending');
    await tick(5);
    await run('record database_cpu 86%');
    await tick(4);
    expect(sink.posts.filter((p) => p.message.title.includes('db-cpu-high'))).toHaveLength(0);
    await tick(1);
    await run('record database_cpu 86%'); // keep data fresh
    expect(sink.titles().filter((t) => t.includes('db-cpu-high'))).toEqual([
      'ops: Example SaaS — scaling roadmap: db-cpu-high 🔥 firing',
    ]);
    expect(sink.posts.find((p) => p.message.title.includes('db-cpu-high'))?.message.urgent).toBe(
      true,
    ); // critical
  });

  it('keeps firing through a dip above clear_when (hysteresis), resolves below it', async () => {
    await run('record database_cpu 85%');
    await tick();
    await tick(10);
    await run('record database_cpu 75%'); // below `when`, above clear_when (70%)
    await tick();
    await run('record database_cpu 82%');
    await tick();
    await run('record database_cpu 65%');
    await tick();
    const cpu = sink.titles().filter((t) => t.includes('db-cpu-high'));
    expect(cpu).toEqual([
      'ops: Example SaaS — scaling roadmap: db-cpu-high 🔥 firing',
      'ops: Example SaaS — scaling roadmap: db-cpu-high ✔️ resolved',
    ]);
  });

  it('goes unknown when data goes stale mid-episode, without resolving, and continues the episode when data returns', async () => {
    await run('record active_users 420');
    await run('record response_time_p95 300ms');
    await tick();
    await tick(8 * 24 * 60); // both metrics older than stale_after (7d)
    const stale = await db.pool.query(
      `SELECT state, episode_id FROM trigger_states WHERE trigger_id = 'tier0.upgrade'`,
    );
    expect(stale.rows[0]).toEqual({ state: 'unknown', episode_id: 1 });
    expect(sink.titles().filter((t) => t.includes('resolved'))).toEqual([]);
    await run('record active_users 430');
    await tick();
    const back = await db.pool.query(
      `SELECT state, episode_id FROM trigger_states WHERE trigger_id = 'tier0.upgrade'`,
    );
    expect(back.rows[0]).toEqual({ state: 'firing', episode_id: 1 });
    expect(
      Number((await db.pool.query('SELECT count(*) AS n FROM alert_episodes')).rows[0].n),
    ).toBe(1);
  });

  it('posts an approaching notice once per crossing', async () => {
    await run('record response_time_p95 300ms');
    await run('record active_users 350');
    await tick();
    await run('record active_users 360');
    await tick();
    await run('record active_users 100');
    await tick();
    await run('record active_users 370');
    await tick();
    expect(sink.titles().filter((t) => t.includes('approaching'))).toHaveLength(2);
  });

  it('closes the episode of the upgrade trigger of a stage the team has left, and edits its first post', async () => {
    await run('record active_users 420');
    await run('record response_time_p95 300ms');
    await tick();
    expect(sink.titles()).toEqual(['ops: Example SaaS — scaling roadmap: tier0.upgrade 🔥 firing']);
    expect((await run('advance force')).exitCode).toBe(0);
    await tick();
    // No resolution is posted (the condition still holds); the first post says it is over.
    expect(sink.posts).toHaveLength(1);
    expect(sink.updates.map((u) => [u.ref, u.message.footer, u.message.actions])).toEqual([
      ['m1', expect.stringMatching(/^Resolved /), undefined],
    ]);
    const edits = await db.pool.query(
      `SELECT idempotency_key, update_of, episode_id FROM deliveries WHERE kind = 'update'`,
    );
    expect(edits.rows).toEqual([
      { idempotency_key: 'alert:1:edit:left-stage:1', update_of: 1, episode_id: 1 },
    ]);
    const episode = await db.pool.query(`SELECT resolved_at FROM alert_episodes WHERE id = 1`);
    expect(episode.rows[0].resolved_at).toEqual(new Date(clock.now()));
    const memory = await db.pool.query(
      `SELECT state, episode_id FROM trigger_states WHERE trigger_id = 'tier0.upgrade'`,
    );
    expect(memory.rows).toEqual([{ state: 'ok', episode_id: null }]);
    await tick(10 * 60);
    expect(sink.updates).toHaveLength(1);
  });

  it('reads every input inside its own evaluation transaction', async () => {
    await run('subscribe alerts --channel console:eng');
    await run('record active_users 420');
    await run('record response_time_p95 300ms');
    // The store outside the transaction refuses every read: the engine needs only its transaction.
    const outside = new Proxy(
      {},
      {
        get: () => () => {
          throw new Error('read outside the evaluation transaction');
        },
      },
    ) as never;
    const store = { ...app.store, points: outside, state: outside, alerts: outside };
    const report = await evaluateAndNotify({ store }, app.registry.get('example')!, clock.now(), {
      repeatIntervalMs: 4 * HOUR,
    });
    expect(report?.triggers.find((t) => t.id === 'tier0.upgrade')?.state).toBe('firing');
    const queued = await db.pool.query(
      `SELECT idempotency_key FROM deliveries WHERE kind = 'firing' ORDER BY id`,
    );
    expect(queued.rows.map((r) => r.idempotency_key)).toEqual([
      'alert:1:fired:console:ops',
      'alert:1:fired:console:eng',
    ]);
  });

  it('lists what is firing and pending with `alerts`', async () => {
    await run('record active_users 420');
    await run('record response_time_p95 300ms');
    await run('record database_cpu 90%');
    await tick();
    const text = renderText((await run('alerts')).message);
    expect(text).toMatch(/tier0\.upgrade \(warning\): firing since/);
    expect(text).toMatch(/db-cpu-high \(critical\): pending since/);
  });
});
