import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/pg/pool.js';
import { pgReplays } from '../../src/adapters/pg/replay.js';
import { Scheduler } from '../../src/app/scheduler.js';
import { appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const at = new Date('2026-03-01T12:00:00Z');

describe('replay memory shared by replicas', () => {
  it('accepts an interaction id once, on whichever replica, until it is pruned', async () => {
    const here = pgReplays(db.pool);
    const otherPool = createPool(db.url, { max: 2, applicationName: 'another replica' });
    try {
      const there = pgReplays(otherPool); // another replica: its own connections
      expect(await here.firstSeen('discord', '1100', at)).toBe(true);
      expect(await here.firstSeen('discord', '1100', at)).toBe(false);
      expect(await there.firstSeen('discord', '1100', at)).toBe(false);
      expect(await there.firstSeen('slack', '1100', at)).toBe(true); // ids are per platform
      await there.prune(new Date(at.getTime() + 1));
      expect(await here.firstSeen('discord', '1100', at)).toBe(true);
    } finally {
      await otherPool.end();
    }
  });
});

describe('Slack replay memory (issue 12)', () => {
  const count = async () =>
    Number((await db.pool.query(`SELECT count(*) AS n FROM seen_slack_requests`)).rows[0].n);

  it('accepts a request once on whichever replica; an event id seen before makes it a replay', async () => {
    const here = pgReplays(db.pool);
    const otherPool = createPool(db.url, { max: 2, applicationName: 'another replica' });
    try {
      const there = pgReplays(otherPool);
      expect(await here.firstSeenSlack(['sig:aa'], at)).toBe(true);
      expect(await there.firstSeenSlack(['sig:aa'], at)).toBe(false);
      expect(await here.firstSeenSlack(['sig:bb', 'event:Ev1'], at)).toBe(true);
      // Slack's retry of that event, signed again: a new signature, the same event id.
      expect(await there.firstSeenSlack(['sig:cc', 'event:Ev1'], at)).toBe(false);
      // Forgotten (it failed before it was taken): the retry may run.
      await there.forgetSlack(['sig:bb', 'event:Ev1']);
      expect(await here.firstSeenSlack(['sig:dd', 'event:Ev1'], at)).toBe(true);
    } finally {
      await otherPool.end();
    }
  });

  it('remembers a burst in one statement: per request, new only if all its keys are, a shared key going to the first', async () => {
    const here = pgReplays(db.pool);
    await here.firstSeenSlack(['sig:seen'], at);
    expect(
      await here.firstSeenSlackMany([
        { keys: ['sig:m1'], at },
        { keys: ['sig:m2', 'event:EvM'], at },
        { keys: ['sig:m3', 'event:EvM'], at }, // Slack's retry of that event in the same burst
        { keys: ['sig:seen'], at },
        { keys: ['sig:m4', 'sig:m4'], at },
      ]),
    ).toEqual([true, true, false, false, true]);
    // Every key is remembered, the losers' too (as firstSeenSlack does).
    expect(await here.firstSeenSlack(['sig:m3'], at)).toBe(false);
    expect(
      await here.firstSeenMany('discord', [
        { id: '1300', at },
        { id: '1301', at },
        { id: '1300', at },
      ]),
    ).toEqual([true, true, false]);
    expect(await here.firstSeen('discord', '1301', at)).toBe(false);
    expect(await here.firstSeenMany('discord', [])).toEqual([]);
  });

  it('is pruned by the scheduler with the Discord ids: what is older than 15 minutes goes', async () => {
    const now = new Date('2026-03-01T13:00:00Z');
    const deps = await appWith(db.pool, roadmapsFolder('oviya'), new TestClock(now));
    const store = pgReplays(db.pool);
    await db.pool.query(`DELETE FROM seen_slack_requests`);
    await store.firstSeenSlack(['sig:old'], new Date(now.getTime() - 16 * 60_000));
    await store.firstSeenSlack(['sig:recent'], new Date(now.getTime() - 14 * 60_000));
    const quiet = { info() {}, warn() {}, error() {}, debug() {} };
    await new Scheduler(deps, deps.store.outbox, {
      evaluateCron: '* * * * *',
      outboxCron: '* * * * *',
      repeatIntervalMs: 3_600_000,
      worker: { worker: 'test', sinks: new Map() },
      logger: quiet,
    }).tick(now);
    expect(await count()).toBe(1);
    expect(await store.firstSeenSlack(['sig:recent'], now)).toBe(false);
    expect(await store.firstSeenSlack(['sig:old'], now)).toBe(true);
  });
});
