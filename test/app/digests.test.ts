import { beforeAll, describe, expect, it } from 'vitest';
import { buildDigest, enqueueDueDigests } from '../../src/app/alerts/digests.js';
import type { AppDeps } from '../../src/app/context.js';
import { evaluateAt } from '../../src/app/evaluate.js';
import { runCommand } from '../../src/app/run.js';
import { digestSnapshot, type DigestSnapshot } from '../../src/core/digest/compose.js';
import type { Message } from '../../src/core/messages/model.js';
import { renderText } from '../../src/core/messages/text.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
// 09:00 in New York on 2026-03-02 (EST): every subscription below is due.
const DUE = new Date('2026-03-02T14:00:00Z');
const clock = new TestClock(new Date('2026-03-01T13:00:00Z'));
let app: AppDeps;

const run = (line: string) => runCommand(app, { ...admin, defaultRoadmap: 'example' }, line, 'cli');

/** Digest subscriptions to `example` for `channels`, made long before they are due. */
async function subscribe(channels: string[]): Promise<void> {
  await db.pool.query(
    `INSERT INTO subscriptions (platform, channel_id, roadmap_id, kind, digest_time, timezone, created_by, created_at)
     SELECT 'console', c, 'example', 'digest', '09:00', 'America/New_York', 'test', '2026-02-01' FROM unnest($1::text[]) AS c`,
    [channels],
  );
}

const queued = async () =>
  (
    await db.pool.query<{ channel_id: string; idempotency_key: string; message: unknown }>(
      `SELECT channel_id, idempotency_key, message FROM deliveries WHERE kind = 'digest' ORDER BY id`,
    )
  ).rows;

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('example'), clock);
  await run('record active_users 380');
  await run('record response_time_p95 900');
});

describe('daily digests, one evaluation per roadmap', () => {
  it('queues every due digest once, in chunks, each what buildDigest makes for its channel, and each differing by what changed since its own previous one', async () => {
    const channels = Array.from({ length: 250 }, (_, i) => `C${String(i).padStart(3, '0')}`);
    await subscribe(channels);
    // One channel got yesterday's digest while active_users was lower: its digest says what changed.
    const { rows } = await db.pool.query<{ id: string }>(
      `SELECT id FROM subscriptions WHERE channel_id = 'C007'`,
    );
    const id = Number(rows[0]?.id);
    clock.set(new Date(DUE.getTime() - 86_400_000));
    await run('record active_users 200');
    const yesterday = await buildDigest(app, app.registry.get('example')!, clock.now(), {
      localDate: '2026-03-01',
      late: false,
    });
    const previous: DigestSnapshot = digestSnapshot(yesterday.report);
    await db.pool.query(
      `INSERT INTO digest_snapshots (subscription_id, local_date, taken_at, snapshot) VALUES ($1, '2026-03-01', $2, $3)`,
      [id, clock.now(), JSON.stringify(previous)],
    );
    clock.set(DUE);
    await run('record active_users 380');

    expect(await enqueueDueDigests(app, DUE)).toBe(250);
    expect(await enqueueDueDigests(app, DUE)).toBe(0); // a second replica, or the next tick
    const all = await queued();
    expect(all.map((d) => d.channel_id)).toEqual(channels);
    expect(new Set(all.map((d) => d.idempotency_key)).size).toBe(250);

    const roadmap = app.registry.get('example')!;
    const fresh = await buildDigest(app, roadmap, DUE, { localDate: '2026-03-02', late: false });
    const since = await buildDigest(app, roadmap, DUE, {
      localDate: '2026-03-02',
      late: false,
      previous,
    });
    const byChannel = new Map(all.map((d) => [d.channel_id, d.message]));
    expect(byChannel.get('C000')).toEqual(JSON.parse(JSON.stringify(fresh.message)));
    expect(byChannel.get('C249')).toEqual(JSON.parse(JSON.stringify(fresh.message)));
    expect(byChannel.get('C007')).toEqual(JSON.parse(JSON.stringify(since.message)));
    expect(byChannel.get('C007')).not.toEqual(byChannel.get('C000'));
    // And the snapshot each will be compared with tomorrow.
    const snapshots = await db.pool.query(
      `SELECT count(*)::int AS n FROM digest_snapshots WHERE local_date = '2026-03-02'`,
    );
    expect(snapshots.rows[0].n).toBe(250);
  });

  it('shows the trigger states the alert engine remembers, without changing the evaluation or the memory', async () => {
    // The engine remembers tier0.upgrade firing; evaluated now (380 users) it does not hold.
    await db.pool.query(
      `INSERT INTO trigger_states (roadmap_id, trigger_id, state, since, active_since, firing_since, evaluated_at)
       VALUES ('example', 'tier0.upgrade', 'firing', $1, $1, $1, $1)`,
      [new Date(DUE.getTime() - 3_600_000)],
    );
    const before = (await db.pool.query(`SELECT * FROM trigger_states ORDER BY trigger_id`)).rows;
    const roadmap = app.registry.get('example')!;
    const digest = await buildDigest(app, roadmap, DUE, { localDate: '2026-03-02', late: false });
    expect(renderText(digest.message)).toMatch(/tier0\.upgrade: firing/);
    expect(digest.snapshot.triggers['tier0.upgrade']).toBe('firing');
    // The report stays the evaluator's: the remembered state is the digest's to show.
    const evaluated = await evaluateAt(app, roadmap, DUE);
    expect(digest.report.triggers.map((t) => [t.id, t.state])).toEqual(
      evaluated.triggers.map((t) => [t.id, t.state]),
    );
    expect(digest.report.triggers.find((t) => t.id === 'tier0.upgrade')?.state).not.toBe('firing');
    expect((await db.pool.query(`SELECT * FROM trigger_states ORDER BY trigger_id`)).rows).toEqual(
      before,
    );
    await db.pool.query(`DELETE FROM trigger_states`);
  });
});

describe('digests of a v2 roadmap', () => {
  let v2: AppDeps;
  const runV2 = (line: string) =>
    runCommand(v2, { ...admin, defaultRoadmap: 'example-v2' }, line, 'cli');

  /** A digest subscription to example-v2 with `snapshot` stored as its previous digest. */
  async function subscribedWith(channel: string, snapshot: unknown): Promise<number> {
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO subscriptions (platform, channel_id, roadmap_id, kind, digest_time, timezone, created_by, created_at)
       VALUES ('console', $1, 'example-v2', 'digest', '09:00', 'America/New_York', 'test', '2026-02-01') RETURNING id`,
      [channel],
    );
    const id = Number(rows[0]?.id);
    await db.pool.query(
      `INSERT INTO digest_snapshots (subscription_id, local_date, taken_at, snapshot) VALUES ($1, '2026-03-01', $2, $3)`,
      [id, new Date(DUE.getTime() - 86_400_000), JSON.stringify(snapshot)],
    );
    return id;
  }

  it('reads snapshots stored before v2, says what changed in plans and tracks, and stores the new fields', async () => {
    v2 = await appWith(db.pool, roadmapsFolder('example-v2'), clock);
    clock.set(new Date(DUE.getTime() - 3_600_000));
    // 300 users: the database track is due `pro`; ai_api is over its 0.25 × 300 = $75.
    for (const line of ['record active_users 300', 'record ai_api_cost 80', 'record db_size 100MB'])
      expect((await runV2(line)).exitCode).toBe(0);
    clock.set(DUE);
    const takenAt = new Date(DUE.getTime() - 86_400_000).toISOString();
    const base = { takenAt, stageId: 'launch', gatesPassed: [], triggers: {}, stale: [] };
    // A snapshot as stored before v2: none of the new fields.
    const old = await subscribedWith('V2-OLD', base);
    // A v2 snapshot: mrr was on plan, no track was due.
    const v2snap = await subscribedWith('V2-NEW', {
      ...base,
      plans: { mrr: 'on_plan', paid_users: 'before_plan' },
      tracksDue: {},
    });

    await enqueueDueDigests(v2, DUE);
    const { rows } = await db.pool.query<{ channel_id: string; message: Message }>(
      `SELECT channel_id, message FROM deliveries WHERE kind = 'digest' AND channel_id LIKE 'V2-%' ORDER BY channel_id`,
    );
    const text = new Map(rows.map((r) => [r.channel_id, renderText(r.message)]));
    expect([...text.keys()]).toEqual(['V2-NEW', 'V2-OLD']);
    const fresh = text.get('V2-NEW') as string;
    expect(fresh).toContain('track Database due: Free tier → Pro');
    expect(fresh).toContain('plan mrr: on plan → before plan');
    expect(fresh).not.toContain('plan paid_users');
    const older = text.get('V2-OLD') as string;
    expect(older).not.toMatch(/plan mrr|track Database due/);
    for (const digest of text.values()) {
      expect(digest).toContain(
        'Budget lines over or burning\n  ❌  ai_api: $80 of ≤ $75/month, over',
      );
      expect(digest).toMatch(/Reviews due\n(.*\n)* {2}⏳ {2}team_cost: never recorded/);
    }

    const stored = await db.pool.query<{ subscription_id: string; snapshot: DigestSnapshot }>(
      `SELECT subscription_id, snapshot FROM digest_snapshots WHERE subscription_id = ANY($1::bigint[]) AND local_date = '2026-03-02'`,
      [[old, v2snap]],
    );
    expect(stored.rows).toHaveLength(2);
    for (const r of stored.rows) {
      expect(r.snapshot.plans).toEqual({ mrr: 'before_plan', paid_users: 'before_plan' });
      expect(r.snapshot.tracksDue).toEqual({ database: 'pro' });
    }
  });
});
