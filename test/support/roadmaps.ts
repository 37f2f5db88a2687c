import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { WindowAggregate } from '../../src/core/condition/evaluate.js';
import type { RoadmapState, Snapshot } from '../../src/core/evaluate/report.js';
import { dataNeeds, windowKey } from '../../src/core/evaluate/report.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { formatProblem, loadRoadmap } from '../../src/core/roadmap/load.js';

export const ROADMAPS_DIR = path.resolve(import.meta.dirname, '../../roadmaps');

/** Loads a shipped roadmap by id, failing loudly with its problems. */
export function shippedRoadmap(id: string): Roadmap {
  const file = path.join(ROADMAPS_DIR, `${id}.yaml`);
  const result = loadRoadmap(file, readFileSync(file, 'utf8'));
  if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
  return result.roadmap;
}

/** The ids of every shipped roadmap (the seeds, the format page's example, the bot's own). */
export function shippedRoadmapIds(): string[] {
  return readdirSync(ROADMAPS_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => path.basename(f, '.yaml'));
}

/** A distinct value for every recorded metric of `roadmap`. */
export function someValues(roadmap: Roadmap): Record<string, number> {
  return Object.fromEntries(
    [...roadmap.metrics.values()].filter((m) => !m.derive).map((m, i) => [m.name, 10 + i]),
  );
}

/** A snapshot where each metric has one point at `at`; windows see just that point. */
export function snapshotOf(
  roadmap: Roadmap,
  values: Record<string, number | boolean>,
  at: Date,
): Snapshot {
  const latest = new Map(
    Object.entries(values).map(([name, v]) => [
      name,
      { value: typeof v === 'boolean' ? (v ? 1 : 0) : v, at },
    ]),
  );
  const windows = new Map<string, WindowAggregate>();
  for (const w of dataNeeds(roadmap).windows) {
    const point = latest.get(w.metric);
    const v = point?.value;
    windows.set(
      windowKey(w.metric, w.windowMs),
      v === undefined
        ? { count: 0 }
        : { count: 1, avg: v, min: v, max: v, sum: v, first: v, last: v },
    );
  }
  return { latest, windows };
}

export function stateIn(stageId?: string, since = new Date('2026-01-01T00:00:00Z')): RoadmapState {
  return {
    ...(stageId ? { stage: { id: stageId, since } } : {}),
    gateChecks: new Map(),
    triggers: new Map(),
    targetsMet: new Map(),
  };
}
