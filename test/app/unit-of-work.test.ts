import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pgStore } from '../../src/adapters/pg/store.js';
import type { AppDeps } from '../../src/app/context.js';
import type { Store } from '../../src/app/ports/store.js';
import { runCommand } from '../../src/app/run.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

/*
 * Issue 13: the app reaches storage through its ports, and a unit of work is one transaction
 * (`store.transaction(tx => …)`): whatever the work does through `tx` is committed together
 * or not at all.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
const actor = { platform: 'cli' as const, id: 'test' };
const count = async (table: string) =>
  Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

/** The store with an audit log that is down: on the pool and in every transaction. */
function auditDown(store: Store): Store {
  const audit = {
    ...store.audit,
    record: () => Promise.reject(new Error('audit log unavailable')),
  };
  return {
    ...store,
    audit,
    transaction: (work) => store.transaction((tx) => work({ ...tx, audit })),
  };
}

let app: AppDeps;

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('example'), clock);
});

beforeEach(async () => {
  await db.pool.query('TRUNCATE subscriptions, audit_log, api_tokens RESTART IDENTITY CASCADE');
});

describe('a transaction of the store', () => {
  const subscription = {
    platform: 'console' as const,
    channel: 'eng',
    roadmapId: 'example',
    kind: 'alerts' as const,
    minSeverity: 'info',
    digestTime: null,
    timezone: null,
    by: actor,
    at: clock.now(),
  };

  it('commits what its ports did together', async () => {
    await pgStore(db.pool).transaction(async (tx) => {
      await tx.subscriptions.save(subscription);
      await tx.audit.record({ actor, action: 'subscribe', at: clock.now() });
    });
    expect([await count('subscriptions'), await count('audit_log')]).toEqual([1, 1]);
  });

  it('rolls all of it back when the work throws, and rethrows', async () => {
    await expect(
      pgStore(db.pool).transaction(async (tx) => {
        await tx.subscriptions.save(subscription);
        await tx.audit.record({ actor, action: 'subscribe', at: clock.now() });
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect([await count('subscriptions'), await count('audit_log')]).toEqual([0, 0]);
  });

  it("runs every method of `tx` on the transaction's one connection: its reads see its writes", async () => {
    const seen = await pgStore(db.pool).transaction(async (tx) => {
      await tx.channels.bind(
        { platform: 'console', channel: 'eng' },
        'example',
        actor,
        clock.now(),
      );
      const inside = await tx.channels.roadmapOf('console', 'eng');
      // The pool (other connections) does not see it before the commit.
      const outside = await pgStore(db.pool).channels.roadmapOf('console', 'eng');
      return { inside, outside };
    });
    expect(seen).toEqual({ inside: 'example', outside: undefined });
    await db.pool.query('TRUNCATE channel_bindings');
  });
});

describe('mutations are never left unaudited', () => {
  it('`token create` and `token revoke` change nothing when their audit row cannot be written', async () => {
    const broken = { ...app, store: auditDown(app.store) };
    await expect(
      runCommand(broken, admin, 'token create feed --roadmaps example', 'cli'),
    ).rejects.toThrow('audit log unavailable');
    expect(await count('api_tokens')).toBe(0);

    expect(
      (await runCommand(app, admin, 'token create feed --roadmaps example', 'cli')).exitCode,
    ).toBe(0);
    await expect(runCommand(broken, admin, 'token revoke feed', 'cli')).rejects.toThrow(
      'audit log unavailable',
    );
    const live = await db.pool.query(`SELECT name FROM api_tokens WHERE revoked_at IS NULL`);
    expect(live.rows).toEqual([{ name: 'feed' }]);
  });
});
