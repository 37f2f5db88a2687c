import { actorName } from '../../app/ports/audit.js';
import type { GateTick, RoadmapStates, StageMove } from '../../app/ports/state.js';
import type { RoadmapState } from '../../core/evaluate/report.js';
import type { Queryable } from './db.js';

/**
 * Stage, gate ticks, targets met and failing collectors, as they stood at `now` (history
 * makes `--now` replays exact), in one statement: a status waits on this before it knows
 * which windows to read.
 */
export async function roadmapState(
  db: Queryable,
  roadmapId: string,
  firstStageId: string,
  now: Date,
): Promise<RoadmapState> {
  type Row = {
    stage: { id: string; since: string } | null;
    gates: { gate_id: string; passed: boolean; actor: string; at: string }[];
    targets: { target_id: string; met_at: string }[];
    collectors: { metric: string; failing_since: string; last_error: string }[];
  };
  const { rows } = await db.query<Row>(
    `WITH stage AS (
       SELECT to_stage AS id, at AS since FROM stage_transitions
        WHERE roadmap_id = $1 AND at <= $3 ORDER BY at DESC, id DESC LIMIT 1)
     SELECT (SELECT row_to_json(stage) FROM stage) AS stage,
            (SELECT coalesce(json_agg(g), '[]') FROM (
               SELECT DISTINCT ON (gate_id) gate_id, passed, actor, at FROM gate_checks
                WHERE roadmap_id = $1 AND stage_id = coalesce((SELECT id FROM stage), $2) AND at <= $3
                ORDER BY gate_id, at DESC, id DESC) g) AS gates,
            (SELECT coalesce(json_agg(t), '[]') FROM (
               SELECT target_id, met_at FROM target_met WHERE roadmap_id = $1 AND met_at <= $3) t) AS targets,
            (SELECT coalesce(json_agg(c), '[]') FROM (
               SELECT metric, failing_since, last_error FROM collector_state
                WHERE roadmap_id = $1 AND failing_since IS NOT NULL AND failing_since <= $3) c) AS collectors`,
    [roadmapId, firstStageId, now],
  );
  const row = rows[0] as Row;
  // JSON carries times as ISO text (microseconds, which Date truncates to milliseconds as pg does).
  return {
    collectorFailures: new Map(
      row.collectors.map((r) => [
        r.metric,
        { since: new Date(r.failing_since), error: r.last_error },
      ]),
    ),
    ...(row.stage ? { stage: { id: row.stage.id, since: new Date(row.stage.since) } } : {}),
    gateChecks: new Map(
      row.gates.map((r) => [r.gate_id, { passed: r.passed, actor: r.actor, at: new Date(r.at) }]),
    ),
    triggers: new Map(),
    targetsMet: new Map(row.targets.map((r) => [r.target_id, new Date(r.met_at)])),
  };
}

export async function insertStageTransition(db: Queryable, move: StageMove): Promise<void> {
  await db.query(
    `INSERT INTO stage_transitions (roadmap_id, from_stage, to_stage, at, actor, forced) VALUES ($1, $2, $3, $4, $5, $6)`,
    [move.roadmapId, move.from, move.to, move.at, actorName(move.actor), move.forced],
  );
}

export async function insertGateCheck(db: Queryable, tick: GateTick): Promise<void> {
  await db.query(
    `INSERT INTO gate_checks (roadmap_id, stage_id, gate_id, passed, actor, at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [tick.roadmapId, tick.stageId, tick.gateId, tick.passed, actorName(tick.actor), tick.at],
  );
}

/** Remembers the first time a target held; later calls keep the first date. */
export async function markTargetsMet(
  db: Queryable,
  roadmapId: string,
  met: { targetId: string; at: Date }[],
): Promise<void> {
  if (met.length === 0) return;
  await db.query(
    `INSERT INTO target_met (roadmap_id, target_id, met_at)
     SELECT $1, t, a FROM unnest($2::text[], $3::timestamptz[]) AS x(t, a)
     ON CONFLICT (roadmap_id, target_id) DO NOTHING`,
    [roadmapId, met.map((m) => m.targetId), met.map((m) => m.at)],
  );
}

/** The RoadmapStates port on `db`. */
export function pgRoadmapStates(db: Queryable): RoadmapStates {
  return {
    at: (roadmapId, firstStageId, now) => roadmapState(db, roadmapId, firstStageId, now),
    moveStage: (move) => insertStageTransition(db, move),
    tickGate: (tick) => insertGateCheck(db, tick),
    markTargetsMet: (roadmapId, met) => markTargetsMet(db, roadmapId, met),
  };
}
