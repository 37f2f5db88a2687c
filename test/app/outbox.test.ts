import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { enqueue } from '../../src/adapters/pg/alerts.js';
import { pgOutbox } from '../../src/adapters/pg/outbox.js';
import { drainOutbox } from '../../src/app/outbox/worker.js';
import type { Outbox } from '../../src/app/ports/outbox.js';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { renderText } from '../../src/core/messages/text.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { clientError, rateLimited, RecordingSink, serverError } from '../support/sinks.js';

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
let outbox: Outbox;
let sink: RecordingSink;
let app: AppDeps;
const message = (title: string) => ({
  title,
  tone: 'info' as const,
  sections: [],
  fallback: title,
});
const worker = (name: string, extra = {}) => ({
  worker: name,
  sinks: new Map([['console', sink]]),
  random: () => 0.5,
  ...extra,
});
const status = async (key: string) =>
  (
    await db.pool.query(
      `SELECT status, attempts, last_error FROM deliveries WHERE idempotency_key = $1`,
      [key],
    )
  ).rows[0];

beforeAll(async () => {
  outbox = pgOutbox(db.pool);
  app = await appWith(db.pool, roadmapsFolder('example'), clock);
});

beforeEach(async () => {
  await db.pool.query('TRUNCATE deliveries RESTART IDENTITY CASCADE');
  clock.set('2026-03-02T12:00:00Z');
  sink = new RecordingSink();
});

describe('the delivery outbox', () => {
  it('keeps one row per idempotency key', async () => {
    const first = await enqueue(db.pool, {
      key: 'k1',
      platform: 'console',
      channel: 'ops',
      kind: 'digest',
      message: message('hello'),
      at: clock.now(),
    });
    const again = await enqueue(db.pool, {
      key: 'k1',
      platform: 'console',
      channel: 'ops',
      kind: 'digest',
      message: message('hello'),
      at: clock.now(),
    });
    expect(first).toBe(1);
    expect(again).toBeUndefined();
  });

  it('delivers once through 429, then 500, then 200, waiting as told', async () => {
    await enqueue(db.pool, {
      key: 'k',
      platform: 'console',
      channel: 'ops',
      kind: 'digest',
      message: message('hello'),
      at: clock.now(),
    });
    sink.failNext(rateLimited(30_000), serverError());
    expect(await drainOutbox(outbox, clock.now(), worker('w'))).toEqual({
      sent: 0,
      retried: 1,
      failed: 0,
    });
    // Retry-After (30 s) is honoured: nothing is due 10 s later.
    clock.advance(10_000);
    expect(await drainOutbox(outbox, clock.now(), worker('w'))).toEqual({
      sent: 0,
      retried: 0,
      failed: 0,
    });
    clock.advance(20_000);
    expect(await drainOutbox(outbox, clock.now(), worker('w'))).toEqual({
      sent: 0,
      retried: 1,
      failed: 0,
    });
    expect(await status('k')).toMatchObject({
      status: 'pending',
      attempts: 2,
      last_error: 'server: HTTP 500',
    });
    clock.advance(4_000); // second backoff: 4 s without jitter
    expect(await drainOutbox(outbox, clock.now(), worker('w'))).toEqual({
      sent: 1,
      retried: 0,
      failed: 0,
    });
    expect(sink.titles()).toEqual(['ops: hello']);
    expect(await status('k')).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('sends a message claimed by a worker that died after its lease expires, once', async () => {
    await enqueue(db.pool, {
      key: 'k',
      platform: 'console',
      channel: 'ops',
      kind: 'digest',
      message: message('hello'),
      at: clock.now(),
    });
    // Worker A claims and dies before sending.
    expect(await outbox.claim('A', clock.now(), 60_000, 10)).toHaveLength(1);
    expect(await drainOutbox(outbox, clock.now(), worker('B'))).toEqual({
      sent: 0,
      retried: 0,
      failed: 0,
    });
    clock.advance(61_000);
    expect(await drainOutbox(outbox, clock.now(), worker('B'))).toEqual({
      sent: 1,
      retried: 0,
      failed: 0,
    });
    // A's late settle is fenced out.
    expect(await outbox.markSent(1, 'A', clock.now(), 'late')).toBe(false);
    expect(sink.titles()).toEqual(['ops: hello']);
  });

  it('parks a message as failed after the last attempt, shows it, and retries it on demand', async () => {
    await enqueue(db.pool, {
      key: 'k',
      platform: 'console',
      channel: 'ops',
      kind: 'digest',
      message: message('hello'),
      at: clock.now(),
    });
    sink.failNext(serverError(), serverError(), serverError());
    for (let i = 0; i < 3; i++) {
      await drainOutbox(outbox, clock.now(), worker('w', { maxAttempts: 3 }));
      clock.advance(60 * 60_000);
    }
    expect(await status('k')).toMatchObject({ status: 'failed', attempts: 3 });
    const listed = renderText((await runCommand(app, admin, 'deliveries --failed', 'cli')).message);
    expect(listed).toMatch(/#1 digest → console:ops: failed after 3 attempts/);
    expect(listed).toMatch(/server: HTTP 500/);
    expect(
      (await runCommand(app, { ...admin, isAdmin: false }, 'deliveries retry 1', 'chat')).exitCode,
    ).toBe(1);
    expect((await runCommand(app, admin, 'deliveries retry 1', 'cli')).exitCode).toBe(0);
    expect(await drainOutbox(outbox, clock.now(), worker('w'))).toEqual({
      sent: 1,
      retried: 0,
      failed: 0,
    });
  });

  it('does not retry what cannot succeed (a client error)', async () => {
    await enqueue(db.pool, {
      key: 'k',
      platform: 'console',
      channel: 'ops',
      kind: 'digest',
      message: message('hello'),
      at: clock.now(),
    });
    sink.failNext(clientError());
    expect(await drainOutbox(outbox, clock.now(), worker('w'))).toEqual({
      sent: 0,
      retried: 0,
      failed: 1,
    });
  });

  it('edits the original post once it is sent, and waits for it before that', async () => {
    const original = await enqueue(db.pool, {
      key: 'post',
      platform: 'console',
      channel: 'ops',
      kind: 'firing',
      message: message('firing'),
      at: clock.now(),
    });
    await enqueue(db.pool, {
      key: 'edit',
      platform: 'console',
      channel: 'ops',
      kind: 'update',
      message: message('resolved'),
      updateOf: original!,
      at: clock.now(),
    });
    sink.failNext(serverError()); // the post fails first; the edit must wait for it
    await drainOutbox(outbox, clock.now(), worker('w'));
    expect(await status('edit')).toMatchObject({ status: 'pending', attempts: 0 });
    clock.advance(10_000);
    await drainOutbox(outbox, clock.now(), worker('w'));
    expect(sink.posts.map((p) => p.message.title)).toEqual(['firing']);
    expect(sink.updates.map((u) => [u.ref, u.message.title])).toEqual([['m1', 'resolved']]);
  });
});
