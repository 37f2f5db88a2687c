import type { Report, RoadmapState, Snapshot } from '../core/evaluate/report.js';
import { currentStage, dataNeeds, evaluateRoadmap } from '../core/evaluate/report.js';
import { FitCache } from '../core/forecast/fit-cache.js';
import { forecastNeeds, forecastReport, type ForecastedReport } from '../core/forecast/report.js';
import type { Roadmap, Stage } from '../core/roadmap/model.js';
import type { AppDeps, Invocation } from './context.js';
import { CommandError } from './errors.js';
import type { HistoryPoint } from '../core/forecast/fit.js';
import type { Points, StoreTx } from './ports/store.js';

/**
 * What an evaluation reads: the store, or one of its transactions (the alert engine reads
 * inside its own, as `{ store: tx }`).
 */
export interface EvaluationReads {
  store: { state: Pick<StoreTx['state'], 'at'>; points: Pick<StoreTx['points'], 'snapshot'> };
}

/** History is fitted in buckets of this size: 4,032 points over 28 days, ten times fewer than raw minutes. */
export const FORECAST_BUCKET_MS = 10 * 60_000;

/**
 * The process's fitted forecast histories (roadmap and metric → the fit, with the history and
 * the instant it was made for): a status asked again over the same history at the same
 * instant (a replay, the web page beside a status, a fixed clock) does not fit it again. A
 * new point changes the history, so it is fitted afresh. Bounded: a few series per roadmap.
 */
export const forecastFits = new FitCache({ maxEntries: 512 });

/** The stage, gate ticks, targets met and collector health of a roadmap as they stood at `now`. */
export function stateAt(deps: EvaluationReads, roadmap: Roadmap, now: Date): Promise<RoadmapState> {
  return deps.store.state.at(roadmap.id, (roadmap.stages[0] as Roadmap['stages'][number]).id, now);
}

/**
 * Everything the pure evaluator reads: the state first, because the current stage decides
 * which windows are read, then the snapshot of those.
 */
export async function evaluationInputs(
  deps: EvaluationReads,
  roadmap: Roadmap,
  now: Date,
): Promise<{ snapshot: Snapshot; state: RoadmapState }> {
  const state = await stateAt(deps, roadmap, now);
  return { snapshot: await snapshotIn(deps, roadmap, currentStage(roadmap, state), now), state };
}

function snapshotIn(
  deps: EvaluationReads,
  roadmap: Roadmap,
  stage: Stage,
  now: Date,
): Promise<Snapshot> {
  const needs = dataNeeds(roadmap, stage);
  return deps.store.points.snapshot(roadmap.id, needs.metrics, needs.windows, now);
}

/** Reads what the roadmap needs from the store and evaluates it at `now` (the shell around the pure evaluator). */
export async function evaluateAt(
  deps: EvaluationReads,
  roadmap: Roadmap,
  now: Date,
): Promise<Report> {
  const { snapshot, state } = await evaluationInputs(deps, roadmap, now);
  return evaluateRoadmap(roadmap, snapshot, state, now);
}

/**
 * What a forecasted evaluation reads: the state, the snapshot and the forecast histories
 * (the store, or a boot warm-up's reads on one connection: see src/app/warm-up.ts).
 */
export interface ForecastReads {
  store: {
    state: Pick<StoreTx['state'], 'at'>;
    points: Pick<Points, 'snapshot' | 'forecastHistories'>;
  };
}

/**
 * Everything evaluateWithForecast reads: the state first (the current stage decides which
 * windows are read), then the snapshot and the forecast histories at once.
 */
export async function forecastInputs(
  deps: ForecastReads,
  roadmap: Roadmap,
  now: Date,
): Promise<{
  state: RoadmapState;
  snapshot: Snapshot;
  histories: Map<string, readonly HistoryPoint[]>;
}> {
  const state = await stateAt(deps, roadmap, now);
  const stage = currentStage(roadmap, state);
  const [snapshot, histories] = await Promise.all([
    snapshotIn(deps, roadmap, stage, now),
    deps.store.points.forecastHistories(
      roadmap.id,
      forecastNeeds(roadmap, stage),
      roadmap.forecastWindowMs,
      FORECAST_BUCKET_MS,
      now,
    ),
  ]);
  return { state, snapshot, histories };
}

/**
 * Evaluates and forecasts when each comparison will be reached, from the metrics' recent
 * history, read alongside the snapshot.
 */
export async function evaluateWithForecast(
  deps: ForecastReads,
  roadmap: Roadmap,
  now: Date,
): Promise<ForecastedReport> {
  const { state, snapshot, histories } = await forecastInputs(deps, roadmap, now);
  const report = evaluateRoadmap(roadmap, snapshot, state, now);
  return {
    ...report,
    forecasts: forecastReport(
      report,
      histories,
      { windowMs: roadmap.forecastWindowMs },
      (metric, history, at, options) =>
        forecastFits.fit(`${roadmap.id}\u0000${metric}`, history, at, options),
    ),
  };
}

/** The roadmap a command is about: named, bound to the channel, or the only one loaded. */
export function resolveRoadmap(
  deps: Pick<AppDeps, 'registry'>,
  invocation: Invocation,
  named: string | true | undefined,
): Roadmap {
  const all = deps.registry.list();
  const ids = all.map((r) => r.id).join(', ') || 'none loaded';
  const id = typeof named === 'string' ? named : invocation.defaultRoadmap;
  if (id !== undefined) {
    const roadmap = deps.registry.get(id);
    if (!roadmap)
      throw new CommandError('not_found', `no roadmap "${id}" is loaded (loaded: ${ids})`);
    return roadmap;
  }
  if (all.length === 1) return all[0] as Roadmap;
  if (all.length === 0)
    throw new CommandError(
      'not_found',
      'no roadmap is loaded: add a *.yaml file to the roadmaps folder (see docs/ROADMAP_FORMAT.md)',
    );
  throw new CommandError(
    'usage',
    `several roadmaps are loaded: say which with --roadmap <id> (one of: ${ids})`,
  );
}
