import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acceptedPoints, BatchSchema } from '../src/adapters/http/api.js';
import { anyText, runs } from './property/support.js';

/*
 * The push API checks a JSON batch by hand (acceptedPoints) and asks zod's BatchSchema only
 * when that check refuses it, for the messages. Both must agree on every body JSON can give:
 * what the hand check accepts, zod accepts with the same points; what it refuses, zod refuses
 * (so the client gets zod's field-level problems, as before).
 */

/** Through JSON and back, as fastify's parser gives a body. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

function agree(body: unknown): void {
  const zod = BatchSchema.safeParse(body);
  const hand = acceptedPoints(body);
  expect(hand !== undefined).toBe(zod.success);
  if (hand && zod.success) expect(hand).toEqual(zod.data.points);
}

const text = (min: number, max: number) =>
  fc.oneof(fc.string({ minLength: min, maxLength: max }), anyText(max + 2));
const field = {
  roadmap: fc.oneof(text(0, 66), fc.integer(), fc.constant(null)),
  metric: fc.oneof(text(0, 130), fc.boolean(), fc.constant(null)),
  value: fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.integer(),
    text(0, 66),
    fc.constant(null),
    fc.array(fc.integer(), { maxLength: 2 }),
  ),
  at: fc.oneof(text(0, 66), fc.integer(), fc.constant(null)),
  source: fc.oneof(text(0, 66), fc.constant(null), fc.constant({})),
};
const wellFormed = fc.record(
  {
    roadmap: fc.string({ minLength: 1, maxLength: 64 }),
    metric: fc.string({ minLength: 1, maxLength: 128 }),
    value: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), text(0, 64)),
    at: fc.string({ maxLength: 64 }),
    source: fc.string({ maxLength: 64 }),
  },
  { requiredKeys: ['roadmap', 'metric', 'value'] },
);
const fieldName = fc.constantFrom('roadmap', 'metric', 'value', 'at', 'source');
const point = fc.oneof(
  wellFormed,
  // One field at a time astray: another type, a length past its bound, or left out.
  fc
    .tuple(wellFormed, fieldName, fc.oneof(...Object.values(field)), fc.boolean())
    .map(([p, name, v, drop]) => {
      const out: Record<string, unknown> = { ...p, [name]: v };
      if (drop) delete out[name];
      return out;
    }),
  // A key PointSchema does not know.
  fc
    .tuple(wellFormed, fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }))
    .map(([p, key, v]) => ({ ...p, [key]: v })),
  fc.record(field, { requiredKeys: [] }),
  fc.jsonValue({ maxDepth: 2 }),
);

describe('acceptedPoints (the hand check of a JSON batch)', () => {
  it('accepts exactly what BatchSchema accepts, with the same points', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ points: fc.array(point, { maxLength: 6 }) }),
          fc
            .tuple(fc.array(point, { minLength: 1, maxLength: 3 }), fc.string({ maxLength: 8 }))
            .map(([points, key]) => ({ points, [key]: 1 })),
          fc.jsonValue({ maxDepth: 3 }),
        ),
        (body) => agree(asJson(body)),
      ),
      runs(3000),
    );
  });

  it('agrees at each bound of each field', () => {
    const ok = { roadmap: 'r', metric: 'm', value: 1, at: '2026-03-01T00:00:00Z', source: 's' };
    const cases: Record<string, unknown>[] = [
      ok,
      { roadmap: 'r', metric: 'm', value: '1.5s' },
      { ...ok, roadmap: '' },
      { ...ok, roadmap: 'r'.repeat(64) },
      { ...ok, roadmap: 'r'.repeat(65) },
      { ...ok, metric: '' },
      { ...ok, metric: 'm'.repeat(128) },
      { ...ok, metric: 'm'.repeat(129) },
      { ...ok, value: 'v'.repeat(64) },
      { ...ok, value: 'v'.repeat(65) },
      { ...ok, value: '' },
      { ...ok, value: true },
      { ...ok, value: null },
      { ...ok, at: '' },
      { ...ok, at: 'a'.repeat(64) },
      { ...ok, at: 'a'.repeat(65) },
      { ...ok, at: null },
      { ...ok, source: '' },
      { ...ok, source: 's'.repeat(65) },
      { ...ok, source: 5 },
      { ...ok, colour: 'red' },
      { metric: 'm', value: 1 },
      { roadmap: 'r', value: 1 },
      { roadmap: 'r', metric: 'm' },
    ];
    for (const p of cases) agree(asJson({ points: [ok, p] }));
    for (const body of [{}, { points: [] }, { points: {} }, [], null, 'x', { points: [ok], x: 1 }])
      agree(asJson(body));
    // A body zod accepts but JSON cannot give (a key present as undefined): refused here, so
    // zod decides, and the route takes zod's points.
    expect(acceptedPoints({ points: [{ ...ok, at: undefined }] })).toBeUndefined();
    expect(BatchSchema.safeParse({ points: [{ ...ok, at: undefined }] }).success).toBe(true);
  });
});
