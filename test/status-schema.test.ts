import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument, StatusDocumentSchema } from '../src/adapters/http/api.js';
import { dataNeeds, evaluateRoadmap } from '../src/core/evaluate/report.js';
import { forecastReport } from '../src/core/forecast/report.js';
import { statusJson } from '../src/core/messages/status-json.js';
import { loadRoadmap } from '../src/core/roadmap/load.js';
import type { EvaluatorApi } from './core/status-compat-cases.js';
import { ROADMAPS_DIR as V1_ROADMAPS_DIR, statusesOf } from './core/status-compat-cases.js';
import {
  ROADMAPS_DIR,
  shippedRoadmap,
  shippedRoadmapIds,
  snapshotOf,
  stateIn,
} from './support/roadmaps.js';

/*
 * The OpenAPI document describes the status response (GET /roadmaps/{id}/status, the same
 * document as `status --json`) field by field. Every shipped roadmap, and every roadmap shipped
 * before format v2, in each of its stages and in the situations of status-compat-cases.ts (plus
 * the v2 memories: a track moved, to-dos due and ticked, a kept target lapsed) gives a document
 * the published schema accepts, and one with no field it does not describe; a document with a
 * field renamed, missing, retyped or out of its enum is refused, naming the field.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON documents, walked by the checks
type Json = any;
const api = { loadRoadmap, dataNeeds, evaluateRoadmap, forecastReport, statusJson } as EvaluatorApi;
const LIMITS = { maxPoints: 5, maxBodyBytes: 4096, rateLimitPerMinute: 5 };

let published: ValidateFunction;
/** The same schema with every object closed: a field it does not describe is refused. */
let closed: ValidateFunction;

beforeAll(() => {
  // date-time is checked by the pattern zod publishes beside it.
  const options = { strict: false, allErrors: true, formats: { 'date-time': true as const } };
  const ajv = new Ajv2020(options);
  ajv.addSchema(openApiDocument(LIMITS), 'openapi.json');
  published = ajv.compile({ $ref: 'openapi.json#/components/schemas/StatusDocument' });
  const { $schema: _dialect, ...strict } = z.toJSONSchema(StatusDocumentSchema, {
    target: 'draft-2020-12',
    io: 'output',
  });
  closed = new Ajv2020(options).compile(strict);
});

const problems = (validate: ValidateFunction, doc: unknown) =>
  validate(doc) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

/** Every stage × situation of a roadmap, as status --json gives it. */
function statuses(id: string, dir: string): [string, Json][] {
  const text = readFileSync(path.join(dir, `${id}.yaml`), 'utf8');
  return Object.entries(statusesOf(api, id, text));
}

/** The roadmaps as shipped before format v2 (test/core/fixtures/v1-roadmaps). */
const frozenV1 = readdirSync(V1_ROADMAPS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => path.basename(f, '.yaml'));

describe('the published status schema', () => {
  it('describes every field, with types, nullability and enums', () => {
    const doc = openApiDocument(LIMITS) as Json;
    const schema = doc.components.schemas.StatusDocument;
    expect(Object.keys(schema.properties)).toEqual([
      'roadmap',
      'evaluated_at',
      'stage',
      'next_stage',
      'triggers',
      'gates',
      'budget',
      'team',
      'targets',
      'metrics',
      'stale',
      'collectors',
      'tracks',
      'actions',
      'plan',
    ]);
    expect(schema.required).toEqual(Object.keys(schema.properties));
    // Fields may be added: the published objects stay open.
    expect(schema.additionalProperties).toBeUndefined();
    const plan = schema.properties.plan.items;
    expect(plan.properties.state).toEqual({
      type: 'string',
      enum: ['ahead', 'on_plan', 'behind', 'before_plan', 'unknown'],
    });
    expect(plan.properties.delta_pct.anyOf).toEqual([
      expect.objectContaining({ type: 'integer' }),
      { type: 'null' },
    ]);
    const trigger = schema.properties.triggers.items;
    expect(trigger.properties.kind.enum).toEqual(['upgrade', 'alert', 'budget', 'track']);
    expect(trigger.properties.comparisons.items.required).not.toContain('fn');
  });

  it.each(shippedRoadmapIds())(
    'accepts the status of shipped %s in every stage and situation',
    (id) => {
      const all = statuses(id, ROADMAPS_DIR);
      expect(all.length).toBeGreaterThan(0);
      for (const [key, doc] of all) {
        expect(problems(published, doc), `${id} ${key}`).toEqual([]);
        expect(problems(closed, doc), `${id} ${key}: a field the schema does not describe`).toEqual(
          [],
        );
      }
    },
  );

  it.each(frozenV1)('accepts the status of %s as shipped before format v2', (id) => {
    for (const [key, doc] of statuses(id, V1_ROADMAPS_DIR)) {
      expect(problems(published, doc), `${id} ${key}`).toEqual([]);
      expect(problems(closed, doc), `${id} ${key}`).toEqual([]);
    }
  });

  it('accepts example-v2 with every v2 memory filled in (moved track, to-dos due and done, a lapse)', () => {
    const roadmap = shippedRoadmap('example-v2');
    const at = new Date('2026-02-10T09:00:00Z');
    const now = new Date('2026-05-20T09:00:00Z');
    const docs = ['launch', 'growth'].map((stage) =>
      statusJson(
        evaluateRoadmap(
          roadmap,
          snapshotOf(
            roadmap,
            {
              active_users: 2400,
              paid_users: 150,
              mrr: 9000,
              infra_cost: 4800,
              ai_api_cost: 700,
              team_cost: 16_000,
              db_size: 9e9,
              response_time_p95: 900,
            },
            new Date(now.getTime() - 60_000),
          ),
          {
            ...stateIn(stage),
            targetsMet: new Map([['profitable', at]]),
            targetsLapsed: new Map([['profitable', at]]),
            trackSteps: new Map([['database', { step: 'pro', since: at }]]),
            todoChecks: new Map([['error-tracking', { done: true, actor: 'cli:ana', at }]]),
            todosDue: new Map([['read-replica', at]]),
          },
          now,
        ),
      ),
    );
    // The situation filled what it should: non-null v2 values are checked too.
    expect(docs[0]?.actions[0]).toMatchObject({ state: 'done', done_by: 'cli:ana' });
    expect(docs[1]?.actions[0]).toMatchObject({ state: 'due', due_at: at.toISOString() });
    expect(docs[1]?.targets[0]).toMatchObject({ state: 'lapsed' });
    expect(docs[1]?.tracks[0]?.current.since).toBe(at.toISOString());
    expect(docs[1]?.stage.planned?.state).toBe('on_time');
    for (const doc of docs) {
      expect(problems(published, doc)).toEqual([]);
      expect(problems(closed, doc)).toEqual([]);
    }
  });

  describe('refuses a document that breaks it, naming the field', () => {
    let doc: Json;
    beforeAll(() => {
      const found = statuses('example-v2', ROADMAPS_DIR).find(([key]) => key === 'launch/fresh');
      doc = found?.[1];
      expect(doc.plan.length).toBeGreaterThan(0);
      expect(doc.budget.lines.length).toBeGreaterThan(0);
    });
    const broken = (change: (d: Json) => void): Json => {
      const copy = structuredClone(doc);
      change(copy);
      return copy;
    };

    it.each<[string, (d: Json) => void, string]>([
      [
        'a renamed field',
        (d) => {
          d.plan[0].delta = d.plan[0].delta_pct;
          delete d.plan[0].delta_pct;
        },
        "/plan/0 must have required property 'delta_pct'",
      ],
      [
        'a renamed top-level field',
        (d) => {
          d.evaluatedAt = d.evaluated_at;
          delete d.evaluated_at;
        },
        " must have required property 'evaluated_at'",
      ],
      [
        'a missing field',
        (d) => delete d.budget.lines[0].over_eta,
        "/budget/lines/0 must have required property 'over_eta'",
      ],
      ['a missing list', (d) => delete d.tracks, " must have required property 'tracks'"],
      [
        'null where null is not allowed',
        (d) => (d.roadmap.name = null),
        '/roadmap/name must be string',
      ],
      [
        'a value outside its enum',
        (d) => (d.triggers[0].state = 'burning'),
        '/triggers/0/state must be equal to one of the allowed values',
      ],
      ['a time that is not ISO 8601', (d) => (d.evaluated_at = 'yesterday'), '/evaluated_at'],
      [
        'a number where an integer belongs',
        (d) => (d.stage.index = 0.5),
        '/stage/index must be integer',
      ],
    ])('%s', (_situation, change, expected) => {
      expect(problems(published, doc)).toEqual([]);
      const errors = problems(published, broken(change));
      expect(
        errors.some((e) => e.startsWith(expected)),
        errors.join('\n'),
      ).toBe(true);
    });

    it('an added field passes the published schema (fields may be added), not the closed one', () => {
      const added = broken((d) => (d.plan[0].trend = 'up'));
      expect(problems(published, added)).toEqual([]);
      expect(problems(closed, added)).toContain('/plan/0 must NOT have additional properties');
    });
  });
});
