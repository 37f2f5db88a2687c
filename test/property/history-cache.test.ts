import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { HistoryCache } from '../../src/adapters/pg/history-cache.js';
import { memoryBuckets } from '../support/history.js';
import { PROPERTY_TIMEOUT_MS, runs } from './support.js';

vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const MINUTE = 60_000;
const BUCKET = 10 * MINUTE;
const WINDOW = 6 * 60 * MINUTE;
const TTL = 10 * MINUTE;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const METRICS = ['a', 'b', 'c'];

/** What happens next: time passes, a point is written (told to the cache or not), someone reads. */
type Step =
  | { kind: 'advance'; minutes: number }
  | { kind: 'write'; metric: string; ago: number; value: number; told: boolean }
  | { kind: 'read'; metrics: string[]; replayAgo: number }
  | { kind: 'expire' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 45 }) }),
  // Mostly points as they happen (ago 0), sometimes backfills into cached buckets, or older than the window.
  fc.record({
    kind: fc.constant('write' as const),
    metric: fc.constantFrom(...METRICS),
    ago: fc.oneof(
      fc.constant(0),
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 0, max: 8 * 60 }),
    ),
    value: fc.integer({ min: -1000, max: 1000 }),
    told: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('read' as const),
    metrics: fc.subarray(METRICS, { minLength: 1 }),
    replayAgo: fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 1, max: 120 })),
  }),
  fc.constant({ kind: 'expire' as const }),
);

describe('HistoryCache, over any sequence of writes, reads, time passing and expiry', () => {
  it('answers every read as a fresh read would, unless a write it was not told of is younger than the last full read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const data = memoryBuckets(BUCKET, T0);
        for (const m of METRICS) data.add(m, 0, 12 * 60, (i) => (i * 7) % 101);
        let minute = 12 * 60;
        let wall = 0;
        const cache = new HistoryCache({ ttlMs: TTL, wallClock: () => wall });
        // Metrics written behind the cache's back since its entries for them were last read whole.
        const untold = new Set<string>();
        for (const s of steps) {
          if (s.kind === 'advance') minute += s.minutes;
          else if (s.kind === 'expire') {
            wall += TTL + 1;
            // An expired entry is read whole in the background on its next use; a read that
            // uses it starts that, and once it settles the cache knows every write.
            await cache.read(
              'r',
              METRICS,
              WINDOW,
              BUCKET,
              new Date(T0 + minute * MINUTE),
              data.read,
            );
            await cache.settled();
            untold.clear();
          } else if (s.kind === 'write') {
            const at = minute - s.ago;
            const written = data.add(s.metric, at, at + 1, () => s.value);
            if (s.told) cache.written(written);
            // Not told, a write into a bucket the cache may hold stays unseen until expiry.
            else if (s.ago > 0) untold.add(s.metric);
          } else {
            const now = new Date(T0 + (minute - s.replayAgo) * MINUTE);
            const got = await cache.read('r', s.metrics, WINDOW, BUCKET, now, data.read);
            const fresh = await new HistoryCache().read(
              'r',
              s.metrics,
              WINDOW,
              BUCKET,
              now,
              data.read,
            );
            for (const m of s.metrics)
              if (!untold.has(m))
                expect(got.get(m), `${m} at minute ${minute - s.replayAgo}`).toEqual(fresh.get(m));
          }
        }
      }),
      runs(150),
    );
  });
});
