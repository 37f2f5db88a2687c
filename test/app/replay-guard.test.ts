import { describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/pg/pool.js';
import { pgReplays } from '../../src/adapters/pg/replay.js';
import type { ReplayMemory } from '../../src/app/ports/replays.js';
import { ReplayGuard } from '../../src/app/replay-guard.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const at = new Date('2026-03-01T12:00:00Z');

/** The real memory, counting its statements; `hold` makes them wait until released. */
function counted(memory: ReplayMemory) {
  let release: () => void = () => undefined;
  let held: Promise<void> | undefined;
  const calls: number[] = [];
  const gate = async () => {
    if (held) await held;
  };
  return {
    calls,
    hold() {
      held = new Promise((resolve) => (release = resolve));
    },
    release() {
      held = undefined;
      release();
    },
    memory: {
      ...memory,
      firstSeenSlackMany: async (requests) => {
        calls.push(requests.length);
        await gate();
        return memory.firstSeenSlackMany(requests);
      },
      firstSeenMany: async (platform, seen) => {
        calls.push(seen.length);
        await gate();
        return memory.firstSeenMany(platform, seen);
      },
    } satisfies ReplayMemory,
  };
}

const guardOn = (memory: ReplayMemory, platform = 'slack', now = () => at.getTime()) =>
  new ReplayGuard({ platform, memory: () => memory, now, keepMs: 600_000 });

describe('ReplayGuard: the replay memory off the acknowledgement path (issue 16)', () => {
  it('remembers a burst taken in one turn with one statement, one verdict per request', async () => {
    const spy = counted(pgReplays(db.pool));
    const guard = guardOn(spy.memory);
    const burst = Array.from({ length: 50 }, (_, i) => guard.take([`sig:burst-${i}`], at));
    expect(await Promise.all(burst)).toEqual(Array(50).fill(true));
    expect(spy.calls).toEqual([50]);
    // Remembered for every replica: the same keys are replays everywhere now.
    expect(await pgReplays(db.pool).firstSeenSlack(['sig:burst-7'], at)).toBe(false);
  });

  it('holds its statement until ready (the burst acknowledged), then takes the burst in one', async () => {
    const spy = counted(pgReplays(db.pool));
    let open: () => void = () => undefined;
    const quiet = new Promise<void>((resolve) => (open = resolve));
    let asked = 0;
    const guard = new ReplayGuard({
      platform: 'slack',
      memory: () => spy.memory,
      now: () => at.getTime(),
      keepMs: 600_000,
      ready: () => {
        asked++;
        return quiet;
      },
    });
    const first = guard.take(['sig:held-1'], at);
    await new Promise((resolve) => setImmediate(resolve));
    expect(asked).toBe(1);
    expect(spy.calls).toEqual([]); // nothing sent while the burst is being acknowledged
    const later = [guard.take(['sig:held-2'], at), guard.take(['sig:held-3'], at)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(spy.calls).toEqual([]);
    expect(guard.seenHere(['sig:held-2'])).toBe(true); // this replica refuses a replay meanwhile
    open();
    expect(await Promise.all([first, ...later])).toEqual([true, true, true]);
    expect(spy.calls).toEqual([3]); // one statement for the whole burst
    expect(asked).toBe(1);
  });

  it('takes what arrives while a statement runs in the next one', async () => {
    const spy = counted(pgReplays(db.pool));
    const guard = guardOn(spy.memory);
    spy.hold();
    const first = guard.take(['sig:wave-1'], at);
    await new Promise((resolve) => setImmediate(resolve));
    expect(spy.calls).toEqual([1]); // the first statement is out, waiting
    const later = [guard.take(['sig:wave-2'], at), guard.take(['sig:wave-3'], at)];
    spy.release();
    expect(await first).toBe(true);
    expect(await Promise.all(later)).toEqual([true, true]);
    expect(spy.calls).toEqual([1, 2]);
  });

  it('answers at once for what this replica took, before the database does', async () => {
    const spy = counted(pgReplays(db.pool));
    const guard = guardOn(spy.memory);
    spy.hold();
    expect(guard.seenHere(['sig:here', 'event:EvHere'])).toBe(false);
    const taken = guard.take(['sig:here', 'event:EvHere'], at);
    // Slack's retry of the same event, signed again: refused here while the database is busy.
    expect(guard.seenHere(['sig:other', 'event:EvHere'])).toBe(true);
    spy.release();
    expect(await taken).toBe(true);
  });

  it('is exact across replicas: the same request taken by two at once runs on one', async () => {
    const otherPool = createPool(db.url, { max: 2, applicationName: 'another replica' });
    try {
      const here = guardOn(pgReplays(db.pool));
      const there = guardOn(pgReplays(otherPool));
      for (let i = 0; i < 10; i++) {
        const keys = [`sig:race-${i}`, `event:EvRace${i}`];
        const verdicts = await Promise.all([here.take(keys, at), there.take(keys, at)]);
        expect(verdicts.filter(Boolean)).toHaveLength(1);
      }
    } finally {
      await otherPool.end();
    }
  });

  it('in one statement, a key two requests share goes to the first (Discord ids too)', async () => {
    const slack = guardOn(pgReplays(db.pool));
    expect(
      await Promise.all([
        slack.take(['sig:dup-a', 'event:EvDup'], at),
        slack.take(['sig:dup-b', 'event:EvDup'], at),
      ]),
    ).toEqual([true, false]);
    const discord = guardOn(pgReplays(db.pool), 'discord');
    expect(await Promise.all([discord.take(['1200'], at), discord.take(['1200'], at)])).toEqual([
      true,
      false,
    ]);
    expect(() => discord.take(['1201', '1202'], at)).toThrow(/one interaction id/);
  });

  it('forgets what it took itself after keepMs (by its clock) and past maxKeys; the database still refuses', async () => {
    let now = at.getTime();
    const memory = pgReplays(db.pool);
    const guard = new ReplayGuard({
      platform: 'slack',
      memory: () => memory,
      now: () => now,
      keepMs: 1_000,
      maxKeys: 3,
    });
    await guard.take(['sig:old'], at);
    now += 1_001;
    expect(guard.seenHere(['sig:old'])).toBe(false);
    expect(await guard.take(['sig:old'], at)).toBe(false); // the shared memory has it
    for (const k of ['a', 'b', 'c', 'd']) await guard.take([`sig:max-${k}`], at);
    expect(guard.seenHere(['sig:max-a'])).toBe(false); // the oldest went first
    expect(guard.seenHere(['sig:max-d'])).toBe(true);
  });

  it('rejects when the shared memory cannot be written (nothing may run), and forgets only after taking', async () => {
    const failing: ReplayMemory = {
      ...pgReplays(db.pool),
      firstSeenSlackMany: async () => {
        throw new Error('connection terminated');
      },
    };
    const guard = guardOn(failing);
    await expect(guard.take(['sig:down'], at)).rejects.toThrow(/connection terminated/);

    const spy = counted(pgReplays(db.pool));
    const order: string[] = [];
    const memory: ReplayMemory = {
      ...spy.memory,
      forgetSlack: async (keys) => {
        order.push('forget');
        await pgReplays(db.pool).forgetSlack(keys);
      },
    };
    const remembering = guardOn(memory);
    spy.hold();
    const taken = remembering.take(['sig:undo'], at).then((fresh) => {
      order.push('taken');
      return fresh;
    });
    const forgotten = remembering.forget(['sig:undo'], taken);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual([]);
    spy.release();
    await forgotten;
    expect(order).toEqual(['taken', 'forget']);
    expect(remembering.seenHere(['sig:undo'])).toBe(false);
    expect(await pgReplays(db.pool).firstSeenSlack(['sig:undo'], at)).toBe(true);
  });
});
