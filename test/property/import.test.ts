import fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppDeps } from '../../src/app/context.js';
import { CommandError } from '../../src/app/errors.js';
import { importCsv } from '../../src/app/import-csv.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { PROPERTY_TIMEOUT_MS, runs } from './support.js';

/*
 * Property test of `roadmap import` (README, "CSV import"): lines are validated while COPY
 * streams them, and a repeated or stored key falls back to an upsert. Whatever the file, the
 * store ends as if the valid file's lines had been applied in order (last line wins), or,
 * with any bad line, unchanged and with exactly the bad lines listed.
 */

vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
const T0 = Date.UTC(2026, 1, 1);
let app: AppDeps;

type Line =
  { kind: 'point'; metric: string; minute: number; value: number } | { kind: 'bad'; text: string };

const point: fc.Arbitrary<Line> = fc.record({
  kind: fc.constant('point' as const),
  metric: fc.constantFrom('active_users', 'paid_users'),
  minute: fc.integer({ min: 0, max: 3000 }),
  value: fc.integer({ min: 0, max: 1000 }),
});
const badLine = fc.constantFrom(
  'active_users,lots,2026-02-01T00:00:00Z',
  'nope,1,2026-02-01T00:00:00Z',
  'paid_users,1,someday',
  'paid_users,1,2030-01-01T00:00:00Z',
);

/**
 * Mostly short files, some long enough that COPY has rows on the server when a bad or
 * repeated line comes; half of them with a few bad lines anywhere.
 */
const file: fc.Arbitrary<Line[]> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.array(point, { maxLength: 30 }) },
      { weight: 1, arbitrary: fc.array(point, { minLength: 1500, maxLength: 2500 }) },
    ),
    fc.oneof(
      fc.constant([]),
      fc.array(fc.tuple(fc.nat(), badLine), { minLength: 1, maxLength: 3 }),
    ),
  )
  .map(([points, bad]) => {
    const lines = [...points];
    for (const [at, text] of bad) lines.splice(at % (lines.length + 1), 0, { kind: 'bad', text });
    return lines;
  });

const text = (lines: Line[]) =>
  [
    'metric,value,at',
    ...lines.map((l) =>
      l.kind === 'bad'
        ? l.text
        : `${l.metric},${l.value},${new Date(T0 + l.minute * 60_000).toISOString()}`,
    ),
  ].join('\n');

async function stored(): Promise<Map<string, number>> {
  const { rows } = await db.pool.query<{ metric: string; at: Date; value: number }>(
    `SELECT metric, at, value FROM metric_points`,
  );
  return new Map(rows.map((r) => [`${r.metric}@${r.at.getTime()}`, r.value]));
}

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('oviya'), clock);
});

beforeEach(async () => {
  await db.pool.query('TRUNCATE metric_points');
});

describe('CSV import, over any file and any stored points', () => {
  it('applies a valid file as its lines in order (last wins), and leaves the store alone listing every bad line otherwise', async () => {
    await fc.assert(
      fc.asyncProperty(file, file, async (before, lines) => {
        await db.pool.query('TRUNCATE metric_points');
        // Points already stored, from an earlier file: the import may overlap them anywhere.
        const earlier = before.filter((l) => l.kind === 'point');
        if (earlier.length > 0)
          await importCsv(app, admin, 'earlier.csv', text(earlier), app.registry.get('oviya'));
        const expected = await stored();
        const result = await importCsv(
          app,
          admin,
          'points.csv',
          text(lines),
          app.registry.get('oviya'),
        ).catch((e: unknown) => e);
        const bad = lines.flatMap((l, i) => (l.kind === 'bad' ? [i + 2] : []));
        if (bad.length > 0) {
          expect(result).toBeInstanceOf(CommandError);
          const listed = (result as CommandError).details
            .filter((d) => d.startsWith('points.csv:'))
            .map((d) => Number(d.split(':')[1]));
          expect(listed).toEqual(bad.slice(0, 50));
          expect(await stored()).toEqual(expected);
          return;
        }
        let changed = 0;
        const after = new Map(expected);
        const last = new Map<string, number>();
        for (const l of lines)
          if (l.kind === 'point') last.set(`${l.metric}@${T0 + l.minute * 60_000}`, l.value);
        for (const [key, value] of last) {
          if (after.get(key) !== value) changed++;
          after.set(key, value);
        }
        expect(result).toEqual({ points: lines.length, written: changed });
        expect(await stored()).toEqual(after);
      }),
      runs(40),
    );
  });
});
