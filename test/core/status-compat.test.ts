import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataNeeds, evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { forecastReport } from '../../src/core/forecast/report.js';
import { statusJson } from '../../src/core/messages/status-json.js';
import { loadRoadmap } from '../../src/core/roadmap/load.js';
import { formatPageExample } from './format-page.js';
import type { EvaluatorApi } from './status-compat-cases.js';
import { fieldsOf, ROADMAPS_DIR, statusesOf } from './status-compat-cases.js';

/*
 * Format v2 is additive: every roadmap valid before it gives the same `status --json` for the
 * fields that existed before (new fields are only added, and no trigger appears or goes). The
 * fixture holds the statuses computed by the evaluator before v2 (see fixtures/write-v1-status.ts)
 * for each shipped roadmap, in each stage and each situation of status-compat-cases.ts.
 */

const BEFORE = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'fixtures/v1-status.json'), 'utf8'),
) as Record<string, Record<string, unknown>>;

const api = { loadRoadmap, dataNeeds, evaluateRoadmap, forecastReport, statusJson } as EvaluatorApi;

describe('status --json of roadmaps written before format v2', () => {
  it('the fixture covers every roadmap shipped before v2 (frozen in fixtures/v1-roadmaps)', () => {
    const frozen = readdirSync(ROADMAPS_DIR).filter((f) => f.endsWith('.yaml'));
    expect(Object.keys(BEFORE).sort()).toEqual(frozen.map((f) => f.replace(/\.yaml$/, '')).sort());
  });

  it.each(Object.keys(BEFORE))('%s: the same v1 fields in every stage and situation', (id) => {
    const before = BEFORE[id] as Record<string, unknown>;
    const now = statusesOf(api, id);
    expect(Object.keys(now)).toEqual(Object.keys(before));
    for (const [key, expected] of Object.entries(before))
      expect(fieldsOf(expected, now[key]), `${id} ${key}`).toEqual(expected);
  });

  it("the format page's v1 example: the same v1 fields as example.yaml had", () => {
    const before = BEFORE.example as Record<string, unknown>;
    const now = statusesOf(api, 'example', formatPageExample());
    expect(Object.keys(now)).toEqual(Object.keys(before));
    for (const [key, expected] of Object.entries(before))
      expect(fieldsOf(expected, now[key]), key).toEqual(expected);
  });
});

describe('fieldsOf, the cut that keeps the v1 fields', () => {
  it('drops added keys, keeps missing ones missing and extra array items in', () => {
    const expected = { a: 1, b: [{ c: 2 }], d: null };
    // An added key is dropped: equal.
    expect(fieldsOf(expected, { a: 1, b: [{ c: 2, x: 3 }], d: null, y: 4 })).toEqual(expected);
    // A changed value stays changed.
    expect(fieldsOf(expected, { a: 2, b: [{ c: 2 }], d: null })).not.toEqual(expected);
    // A removed key stays removed.
    expect(fieldsOf(expected, { a: 1, b: [{ c: 2 }] })).not.toEqual(expected);
    // An added array item (a new trigger) stays.
    expect(fieldsOf(expected, { a: 1, b: [{ c: 2 }, { c: 3 }], d: null })).not.toEqual(expected);
  });
});
