import { describe, expect, it } from 'vitest';
import { pgStore } from '../../src/adapters/pg/store.js';
import { windowKey } from '../../src/core/evaluate/report.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const at = (minute: number) => new Date(T0 + minute * MINUTE);
const actor = { platform: 'cli' as const, id: 'test' };

describe('what an evaluation reads from the store', () => {
  it('aggregates a window with statistics, and only its first and last points without', async () => {
    const store = pgStore(db.pool);
    // users = 1, 2, … 120 at minutes 0 … 119.
    const points = Array.from({ length: 120 }, (_, m) => ({
      roadmapId: 'r',
      metric: 'users',
      value: m + 1,
      at: at(m),
      source: 'test',
    }));
    await store.points.record(points, { actor, action: 'record', at: at(120) });
    const now = at(119);
    const snapshot = await store.points.snapshot(
      'r',
      ['users'],
      [
        { metric: 'users', windowMs: HOUR, stats: true },
        { metric: 'users', windowMs: 30 * MINUTE, stats: false },
        { metric: 'missing', windowMs: HOUR, stats: false },
      ],
      now,
    );
    expect(snapshot.latest.get('users')).toEqual({ value: 120, at: now });
    // (now - 1h, now] holds minutes 60 … 119, values 61 … 120.
    expect(snapshot.windows.get(windowKey('users', HOUR))).toEqual({
      count: 60,
      avg: 90.5,
      min: 61,
      max: 120,
      sum: 5430,
      first: 61,
      last: 120,
    });
    expect(snapshot.windows.get(windowKey('users', 30 * MINUTE))).toEqual({ first: 91, last: 120 });
    expect(snapshot.windows.get(windowKey('missing', HOUR))).toEqual({});
  });

  it('reads stage, gate ticks, targets met and failing collectors as they stood at a moment, times intact', async () => {
    const store = pgStore(db.pool);
    const moved = new Date('2026-03-02T10:11:12.345Z');
    await store.state.moveStage({
      roadmapId: 's',
      from: 'tier0',
      to: 'tier1',
      forced: false,
      actor,
      at: moved,
    });
    const tick = { roadmapId: 's', passed: true, actor, at: new Date(moved.getTime() + HOUR) };
    await store.state.tickGate({ ...tick, stageId: 'tier1', gateId: 'backups' });
    await store.state.tickGate({ ...tick, stageId: 'tier0', gateId: 'old-gate' });
    await store.state.markTargetsMet('s', [{ targetId: 'first-100', at: moved }]);
    await db.pool.query(
      `INSERT INTO collector_state (roadmap_id, metric, next_run_at, failing_since, last_error) VALUES ('s', 'mrr', $1, $1, 'timeout')`,
      [new Date(moved.getTime() + 2 * HOUR)],
    );

    const later = await store.state.at('s', 'tier0', new Date(moved.getTime() + 3 * HOUR));
    expect(later.stage).toEqual({ id: 'tier1', since: moved });
    expect([...later.gateChecks]).toEqual([
      ['backups', { passed: true, actor: 'cli:test', at: new Date(moved.getTime() + HOUR) }],
    ]);
    expect([...later.targetsMet]).toEqual([['first-100', moved]]);
    expect([...(later.collectorFailures ?? [])]).toEqual([
      ['mrr', { since: new Date(moved.getTime() + 2 * HOUR), error: 'timeout' }],
    ]);

    // Before the move: the first stage, its own ticks, nothing met or failing yet.
    const before = await store.state.at('s', 'tier0', new Date(moved.getTime() - 1));
    expect(before.stage).toBeUndefined();
    expect([...before.gateChecks]).toEqual([]);
    expect(before.targetsMet.size).toBe(0);
    expect(before.collectorFailures?.size).toBe(0);
  });
});
