import type { RoadmapState } from '../../core/evaluate/report.js';
import type { Actor } from './audit.js';

/** A move from one stage to another (`advance`), forced when gates were open. */
export interface StageMove {
  roadmapId: string;
  from: string;
  to: string;
  forced: boolean;
  actor: Actor;
  at: Date;
}

/** A gate ticked or unticked by hand. */
export interface GateTick {
  roadmapId: string;
  stageId: string;
  gateId: string;
  passed: boolean;
  actor: Actor;
  at: Date;
}

/** v2: a track moved to another step by a person (`move <track> <step>`). */
export interface TrackMove {
  roadmapId: string;
  trackId: string;
  from: string;
  to: string;
  actor: Actor;
  at: Date;
}

/** v2: a to-do of a stage ticked (`check`, done) or unticked (`uncheck`). */
export interface TodoTick {
  roadmapId: string;
  stageId: string;
  todoId: string;
  done: boolean;
  actor: Actor;
  at: Date;
}

/**
 * The roadmap's own state: stage moves, gate ticks, targets met and lapsed, track moves,
 * to-do ticks and due latches (and collector failures, read). Every change is stored with the
 * instant it happened, so `at(…, now)` can replay any past instant.
 */
export interface RoadmapStates {
  /**
   * Stage, gate ticks, targets met and failing collectors as they stood at `now` (history
   * makes `--now` replays exact), in one read: a status waits on it before it knows which
   * windows to read. `firstStageId` is the stage of a roadmap that never moved.
   */
  at(roadmapId: string, firstStageId: string, now: Date): Promise<RoadmapState>;
  moveStage(move: StageMove): Promise<void>;
  tickGate(tick: GateTick): Promise<void>;
  /** Remembers the first time each target held; later calls keep the first date. */
  markTargetsMet(roadmapId: string, met: { targetId: string; at: Date }[]): Promise<void>;
  /** v2: a track's new current step, with who moved it and when (history kept). */
  moveTrack(move: TrackMove): Promise<void>;
  /** v2: a to-do ticked or unticked (history kept; the newest at or before `now` wins). */
  tickTodo(tick: TodoTick): Promise<void>;
  /** v2: latches to-dos of `stageId` as due at `at`; a to-do already latched keeps its first date. */
  markTodosDue(
    roadmapId: string,
    stageId: string,
    due: { todoId: string; at: Date }[],
  ): Promise<void>;
  /**
   * v2: kept targets that stopped holding (`lapsed`, at `at`) or held again (`held`, at
   * `at`): a lapse is remembered from its start until it held again, so replays see it.
   */
  markTargetsLapsed(
    roadmapId: string,
    changes: { targetId: string; lapsed: boolean; at: Date }[],
  ): Promise<void>;
}
