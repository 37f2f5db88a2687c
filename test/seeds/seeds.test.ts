import { describe, expect, it } from 'vitest';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { shippedRoadmap, shippedRoadmapIds, snapshotOf, stateIn } from '../support/roadmaps.js';
import { seedScenarios } from './scenarios.js';

const NOW = new Date('2026-06-15T12:00:00Z');
const MINUTE_AGO = new Date(NOW.getTime() - 60_000);

describe('shipped roadmaps', () => {
  const ids = shippedRoadmapIds();

  it('ships the five seeds and the format example', () => {
    expect(ids).toEqual(
      expect.arrayContaining([
        'oviya',
        'mirai',
        'cr-audioviz-ai',
        'craudiovizai-stack',
        'storytailor',
        'example',
      ]),
    );
  });

  it.each(ids)('%s loads without errors', (id) => {
    const roadmap = shippedRoadmap(id);
    expect(roadmap.id).toBe(id);
    expect(roadmap.stages.length).toBeGreaterThan(0);
  });
});

describe('seed scenarios from the documents', () => {
  it.each(seedScenarios.map((s) => [`${s.roadmap}: ${s.name}`, s] as const))(
    '%s',
    (_title, scenario) => {
      const roadmap = shippedRoadmap(scenario.roadmap);
      const report = evaluateRoadmap(
        roadmap,
        snapshotOf(roadmap, scenario.metrics, MINUTE_AGO),
        stateIn(scenario.stage),
        NOW,
      );
      expect(report.stage.id).toBe(scenario.stage ?? roadmap.stages[0]?.id);
      for (const [id, state] of Object.entries(scenario.expect.triggers ?? {})) {
        const trigger = report.triggers.find((t) => t.id === id);
        expect(trigger, `trigger ${id}`).toBeDefined();
        expect({ id, state: trigger?.state }).toEqual({ id, state });
      }
      for (const [id, passed] of Object.entries(scenario.expect.gates ?? {})) {
        expect({ id, passed: report.gates.find((g) => g.id === id)?.passed }).toEqual({
          id,
          passed,
        });
      }
      if (scenario.expect.budget)
        expect(report.budget?.state ?? 'unknown').toBe(scenario.expect.budget);
      for (const metric of scenario.expect.unknown ?? []) {
        expect(report.stale.map((s) => s.metric)).toContain(metric);
      }
    },
  );
});
