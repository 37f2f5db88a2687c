/*
 * Helpers of the tests of tracks, to-dos, plans and scoped alerts (format v2): a roadmap from
 * inline YAML, a snapshot of fresh values, and a state with the v2 memory.
 */
import type { Report, RoadmapState, Snapshot } from '../../src/core/evaluate/report.js';
import { evaluateRoadmap, windowKey } from '../../src/core/evaluate/report.js';
import { formatProblem, loadRoadmap } from '../../src/core/roadmap/load.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { snapshotOf, stateIn } from '../support/roadmaps.js';

/** A roadmap from YAML lines, failing loudly with its problems. */
export function roadmapOf(lines: string[]): Roadmap {
  const result = loadRoadmap('test.yaml', lines.join('\n'));
  if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
  return result.roadmap;
}

/** The given values recorded a minute before `now` (fresh); a metric left out has no data. */
export function freshSnapshot(
  roadmap: Roadmap,
  values: Record<string, number>,
  now: Date,
): Snapshot {
  return snapshotOf(roadmap, values, new Date(now.getTime() - 60_000));
}

/** The state in `stage` (default: the first) with the v2 memory given. */
export function stateWith(extra: Partial<RoadmapState> = {}, stage?: string): RoadmapState {
  return { ...stateIn(stage), ...extra };
}

export function evaluateAt(
  roadmap: Roadmap,
  values: Record<string, number>,
  now: Date,
  state: RoadmapState = stateWith(),
): Report {
  return evaluateRoadmap(roadmap, freshSnapshot(roadmap, values, now), state, now);
}

export function triggerOf(report: Report, id: string) {
  return report.triggers.find((t) => t.id === id);
}

/**
 * Every aggregate window written anywhere in the roadmap, found by walking the whole model
 * (not by `dataNeeds`, which is what tests check), as `metric@windowMs`.
 */
export function everyWindow(roadmap: Roadmap): { metric: string; windowMs: number }[] {
  const found = new Map<string, { metric: string; windowMs: number }>();
  const seen = new Set<unknown>();
  const visit = (value: unknown): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return;
    seen.add(value);
    const node = value as { kind?: unknown; metric?: unknown; windowMs?: unknown };
    if (
      node.kind === 'call' &&
      typeof node.windowMs === 'number' &&
      typeof node.metric === 'string'
    )
      found.set(`${node.metric}@${node.windowMs}`, {
        metric: node.metric,
        windowMs: node.windowMs,
      });
    const children = value instanceof Map ? [...value.values()] : Object.values(value);
    children.forEach(visit);
  };
  visit(roadmap);
  return [...found.values()];
}

/** A snapshot of `values` at `at` in which every window of the roadmap sees just that point. */
export function snapshotWithEveryWindow(
  roadmap: Roadmap,
  values: Record<string, number>,
  at: Date,
): Snapshot {
  const { latest } = snapshotOf(roadmap, values, at);
  const windows = new Map(
    everyWindow(roadmap).map(({ metric, windowMs }) => {
      const v = latest.get(metric)?.value;
      return [
        windowKey(metric, windowMs),
        v === undefined
          ? { count: 0 }
          : { count: 1, avg: v, min: v, max: v, sum: v, first: v, last: v },
      ];
    }),
  );
  return { latest, windows };
}
