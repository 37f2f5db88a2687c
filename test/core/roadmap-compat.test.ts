import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { formatProblem, loadRoadmap } from '../../src/core/roadmap/load.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { shippedRoadmap, someValues, snapshotOf, stateIn } from '../support/roadmaps.js';
import { formatPageExample } from './format-page.js';
import { v1Model } from './v1-model.js';

/*
 * Format v2 is additive: every roadmap valid before it compiles to the same model for its v1
 * parts. fixtures/v1-models.json was written by the loader as it was before v2 (commit
 * b3ab05a), from the roadmaps shipped then, with v1Model() picking the v1 fields.
 */

const BEFORE = JSON.parse(
  readFileSync(path.join(import.meta.dirname, 'fixtures/v1-models.json'), 'utf8'),
) as Record<string, unknown>;
/** The roadmaps as shipped before v2, frozen (today's seeds are rewritten with v2, issue #15). */
const V1_DIR = path.join(import.meta.dirname, 'fixtures/v1-roadmaps');

function load(id: string): Roadmap {
  const file = `roadmaps/${id}.yaml`;
  const result = loadRoadmap(file, readFileSync(path.join(V1_DIR, `${id}.yaml`), 'utf8'));
  if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
  return result.roadmap;
}

describe('v1 roadmaps compile as before format v2', () => {
  it('the fixture covers every roadmap shipped before v2 (frozen in fixtures/v1-roadmaps)', () => {
    const frozen = readdirSync(V1_DIR).filter((f) => f.endsWith('.yaml'));
    expect(Object.keys(BEFORE).sort()).toEqual(frozen.map((f) => f.replace(/\.yaml$/, '')).sort());
  });

  it.each(Object.keys(BEFORE))('%s: the same v1 model', (id) => {
    expect(v1Model(load(id))).toEqual(BEFORE[id]);
  });

  it('the format page v1 example: the same v1 model as the shipped example.yaml had', () => {
    const result = loadRoadmap('roadmaps/example.yaml', formatPageExample());
    if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
    expect(v1Model(result.roadmap)).toEqual(BEFORE.example);
  });

  it('v1 roadmaps have no v2 parts, apart from the v1 budget read as the line `infra`', () => {
    for (const id of Object.keys(BEFORE)) {
      const roadmap = load(id);
      expect([roadmap.tracks, roadmap.plans], id).toEqual([[], []]);
      expect(
        roadmap.alerts.every((a) => a.stages === undefined),
        id,
      ).toBe(true);
      expect(
        roadmap.targets.every((t) => !t.keep),
        id,
      ).toBe(true);
      for (const stage of roadmap.stages) {
        expect([stage.planned, stage.team, stage.todos], `${id} ${stage.id}`).toEqual([
          undefined,
          [],
          [],
        ]);
        expect(stage.budgetLines.map((l) => [l.id, l.v1, l.watched])).toEqual(
          stage.budget ? [['infra', true, false]] : [],
        );
      }
    }
  });
});

describe('the v2 example and the current evaluator', () => {
  // The alert `slow` is scoped to `growth` (`stages: [growth]`): watched there only.
  it('evaluates example-v2 in each stage without throwing', () => {
    const roadmap = shippedRoadmap('example-v2');
    const now = new Date('2026-02-15T12:00:00Z');
    for (const stage of roadmap.stages) {
      const report = evaluateRoadmap(
        roadmap,
        snapshotOf(roadmap, someValues(roadmap), now),
        stateIn(stage.id),
        now,
      );
      expect(report.stage.id).toBe(stage.id);
      if (stage.id === 'growth') expect(report.triggers.map((t) => t.id)).toContain('slow');
      else expect(report.triggers.map((t) => t.id)).not.toContain('slow');
    }
  });
});
