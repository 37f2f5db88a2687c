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

/** The roadmap's own state: stage moves, gate ticks, targets met (and collector failures, read). */
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
}
