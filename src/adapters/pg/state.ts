import { actorName } from '../../app/ports/audit.js';
import type {
  GateTick,
  RoadmapStates,
  StageMove,
  TodoTick,
  TrackMove,
} from '../../app/ports/state.js';
import type { RoadmapState } from '../../core/evaluate/report.js';
import type { Queryable } from './db.js';

/**
 * Stage, gate ticks, targets met and lapsed, failing collectors, track steps and the current
 * stage's to-do ticks and due latches, as they stood at `now` (history makes `--now` replays
 * exact), in one statement: a status waits on this before it knows which windows to read.
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
    tracks: { track_id: string; to_step: string; at: string }[];
    todos: { todo_id: string; done: boolean; actor: string; at: string }[];
    due: { todo_id: string; due_at: string }[];
    lapses: { target_id: string; lapsed_at: string }[];
  };
  // A lapse stands at `now` if it began at or before then and had not held again by then.
  const { rows } = await db.query<Row>(
    `WITH stage AS (
       SELECT to_stage AS id, at AS since FROM stage_transitions
        WHERE roadmap_id = $1 AND at <= $3 ORDER BY at DESC, id DESC LIMIT 1),
     current AS (SELECT coalesce((SELECT id FROM stage), $2) AS id)
     SELECT (SELECT row_to_json(stage) FROM stage) AS stage,
            (SELECT coalesce(json_agg(g), '[]') FROM (
               SELECT DISTINCT ON (gate_id) gate_id, passed, actor, at FROM gate_checks
                WHERE roadmap_id = $1 AND stage_id = (SELECT id FROM current) AND at <= $3
                ORDER BY gate_id, at DESC, id DESC) g) AS gates,
            (SELECT coalesce(json_agg(t), '[]') FROM (
               SELECT target_id, met_at FROM target_met WHERE roadmap_id = $1 AND met_at <= $3) t) AS targets,
            (SELECT coalesce(json_agg(c), '[]') FROM (
               SELECT metric, failing_since, last_error FROM collector_state
                WHERE roadmap_id = $1 AND failing_since IS NOT NULL AND failing_since <= $3) c) AS collectors,
            (SELECT coalesce(json_agg(m), '[]') FROM (
               SELECT DISTINCT ON (track_id) track_id, to_step, at FROM track_moves
                WHERE roadmap_id = $1 AND at <= $3
                ORDER BY track_id, at DESC, id DESC) m) AS tracks,
            (SELECT coalesce(json_agg(k), '[]') FROM (
               SELECT DISTINCT ON (todo_id) todo_id, done, actor, at FROM todo_checks
                WHERE roadmap_id = $1 AND stage_id = (SELECT id FROM current) AND at <= $3
                ORDER BY todo_id, at DESC, id DESC) k) AS todos,
            (SELECT coalesce(json_agg(d), '[]') FROM (
               SELECT todo_id, due_at FROM todo_due
                WHERE roadmap_id = $1 AND stage_id = (SELECT id FROM current) AND due_at <= $3) d) AS due,
            (SELECT coalesce(json_agg(l), '[]') FROM (
               SELECT DISTINCT ON (target_id) target_id, lapsed_at FROM target_lapses
                WHERE roadmap_id = $1 AND lapsed_at <= $3
                  AND (held_again_at IS NULL OR held_again_at > $3)
                ORDER BY target_id, lapsed_at DESC, id DESC) l) AS lapses`,
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
    targetsLapsed: new Map(row.lapses.map((r) => [r.target_id, new Date(r.lapsed_at)])),
    trackSteps: new Map(
      row.tracks.map((r) => [r.track_id, { step: r.to_step, since: new Date(r.at) }]),
    ),
    todoChecks: new Map(
      row.todos.map((r) => [r.todo_id, { done: r.done, actor: r.actor, at: new Date(r.at) }]),
    ),
    todosDue: new Map(row.due.map((r) => [r.todo_id, new Date(r.due_at)])),
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

export async function insertTrackMove(db: Queryable, move: TrackMove): Promise<void> {
  await db.query(
    `INSERT INTO track_moves (roadmap_id, track_id, from_step, to_step, actor, at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [move.roadmapId, move.trackId, move.from, move.to, actorName(move.actor), move.at],
  );
}

export async function insertTodoCheck(db: Queryable, tick: TodoTick): Promise<void> {
  await db.query(
    `INSERT INTO todo_checks (roadmap_id, stage_id, todo_id, done, actor, at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [tick.roadmapId, tick.stageId, tick.todoId, tick.done, actorName(tick.actor), tick.at],
  );
}

/**
 * Latches to-dos of a stage as due. The first date wins: a latch never moves later, and one
 * found earlier (a replica whose clock is behind) moves it earlier, so the remembered date is
 * the first evaluation that found the to-do due.
 */
export async function markTodosDue(
  db: Queryable,
  roadmapId: string,
  stageId: string,
  due: { todoId: string; at: Date }[],
): Promise<void> {
  if (due.length === 0) return;
  // GROUP BY: one row per to-do, since ON CONFLICT DO UPDATE may not touch a row twice.
  await db.query(
    `INSERT INTO todo_due (roadmap_id, stage_id, todo_id, due_at)
     SELECT $1, $2, t, min(a) FROM unnest($3::text[], $4::timestamptz[]) AS x(t, a) GROUP BY t
     ON CONFLICT (roadmap_id, stage_id, todo_id)
       DO UPDATE SET due_at = least(todo_due.due_at, excluded.due_at)`,
    [roadmapId, stageId, due.map((d) => d.todoId), due.map((d) => d.at)],
  );
}

/**
 * Opens a lapse (`lapsed: true`) unless one is open, or closes the open one at `at`
 * (`lapsed: false`); applied in the order given, as each is a step in a target's history.
 */
export async function markTargetsLapsed(
  db: Queryable,
  roadmapId: string,
  changes: { targetId: string; lapsed: boolean; at: Date }[],
): Promise<void> {
  for (const change of changes) {
    if (change.lapsed)
      await db.query(
        `INSERT INTO target_lapses (roadmap_id, target_id, lapsed_at) VALUES ($1, $2, $3)
         ON CONFLICT (roadmap_id, target_id) WHERE held_again_at IS NULL DO NOTHING`,
        [roadmapId, change.targetId, change.at],
      );
    else
      await db.query(
        `UPDATE target_lapses SET held_again_at = $3
          WHERE roadmap_id = $1 AND target_id = $2 AND held_again_at IS NULL AND lapsed_at <= $3`,
        [roadmapId, change.targetId, change.at],
      );
  }
}

/** The RoadmapStates port on `db`. */
export function pgRoadmapStates(db: Queryable): RoadmapStates {
  return {
    at: (roadmapId, firstStageId, now) => roadmapState(db, roadmapId, firstStageId, now),
    moveStage: (move) => insertStageTransition(db, move),
    tickGate: (tick) => insertGateCheck(db, tick),
    markTargetsMet: (roadmapId, met) => markTargetsMet(db, roadmapId, met),
    moveTrack: (move) => insertTrackMove(db, move),
    tickTodo: (tick) => insertTodoCheck(db, tick),
    markTodosDue: (roadmapId, stageId, due) => markTodosDue(db, roadmapId, stageId, due),
    markTargetsLapsed: (roadmapId, changes) => markTargetsLapsed(db, roadmapId, changes),
  };
}
