import { beforeAll, describe, expect, it } from 'vitest';
import { createAdmission } from '../../src/app/admission.js';
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

  it('says when a command given now would wait for a slot (Discord then defers at once)', async () => {
    const admission = createAdmission(2);
    const releases: (() => void)[] = [];
    const job = () => admission.admit(() => new Promise<void>((r) => releases.push(r)));
    expect(admission.busy()).toBe(false);
    const first = job();
    expect(admission.busy()).toBe(false); // one slot left
    const second = job();
    expect(admission.busy()).toBe(true);
    const third = job(); // waits
    expect(admission.busy()).toBe(true);
    await new Promise((resolve) => setImmediate(resolve));
    releases[0]?.();
    await first;
    await new Promise((resolve) => setImmediate(resolve));
    expect(admission.busy()).toBe(true); // the waiting one took the slot
    releases[1]?.();
    await second;
    await new Promise((resolve) => setImmediate(resolve));
    expect(admission.busy()).toBe(false);
    releases[2]?.();
    await third;
  });

  it('holds commands while a burst of chat requests arrives, at most maxHoldMs; a request alone is no burst', async () => {
    let t = 0;
    let burstUntil = 30;
    const admission = createAdmission(4, {
      quietMs: 10,
      maxHoldMs: 50,
      now: () => t,
      // A clock the test moves: each wait moves it, and a request arrives 1 ms before each wait
      // ends, until burstUntil.
      sleep: async (ms) => {
        t += ms - 1;
        if (t < burstUntil) admission.arrived();
        t += 1;
      },
    });
    const startedAt = () => admission.admit(async () => t);
    // A request alone: its command starts at once, and Discord may wait for it inline.
    admission.arrived();
    expect(admission.busy()).toBe(false);
    expect(await startedAt()).toBe(0);
    // A second within 10 ms: a burst. Requests at 5, 14, 23, then none for 10 ms: start at 33.
    t = 5;
    admission.arrived();
    expect(admission.busy()).toBe(true); // Discord defers at once
    expect(await startedAt()).toBe(33);
    expect(admission.busy()).toBe(false);
    // A burst that never stops: the command waits maxHoldMs, not for ever.
    t = 1_000;
    burstUntil = Infinity;
    admission.arrived();
    admission.arrived();
    expect(await startedAt()).toBe(1_050);
    // quietMs 0: never waits.
    const eager = createAdmission(1, { quietMs: 0, now: () => t });
    eager.arrived();
    eager.arrived();
    expect(eager.busy()).toBe(false);
    expect(await eager.admit(async () => t)).toBe(1_050);
  });

  it('after a burst, starts commands only once a turn of I/O has read no new request', async () => {
    // A loop busy with its own work (or held up by the machine) reads requests late: the timer
    // says quiet, but two requests of the burst wait unread in their sockets.
    let t = 0;
    const order: string[] = [];
    let unread = 2;
    const admission = createAdmission(4, {
      quietMs: 10,
      maxHoldMs: 250,
      now: () => t,
      sleep: async (ms) => {
        t += ms;
      },
      // One turn of I/O: the requests waiting in their sockets are read and acknowledged.
      turn: async () => {
        order.push(`turn at ${t}`);
        for (; unread > 0; unread--) {
          admission.arrived();
          order.push(`ack at ${t}`);
          t += 1;
        }
      },
    });
    admission.arrived();
    t = 1;
    admission.arrived(); // a burst, until 11
    const command = admission.admit(async () => order.push(`command at ${t}`));
    await command;
    // The late requests were acknowledged first (at 11 and 12: a burst again, until 22), then
    // a turn read nothing new and the command started.
    expect(order).toEqual(['turn at 11', 'ack at 11', 'ack at 12', 'turn at 22', 'command at 22']);
  });
});
