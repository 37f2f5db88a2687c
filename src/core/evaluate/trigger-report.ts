import type { ComparisonResult } from '../condition/evaluate.js';
import type { Severity } from '../roadmap/model.js';
import type { TransitionReason, TriggerMemory, TriggerState } from './transition.js';

/*
 * A watched trigger as a report shows it. Apart from report.ts (which re-exports it) so the
 * modules that build triggers (budget lines, tracks) need not import report.ts, which imports
 * them: no import cycle.
 */

export interface TriggerReport {
  id: string;
  /**
   * `budget`: a watched budget line's `budget.<line-id>`; `track`: a track's
   * `<track-id>.upgrade` or `<track-id>.capacity` (v2).
   */
  kind: 'upgrade' | 'alert' | 'budget' | 'track';
  severity: Severity;
  state: TriggerState;
  reason: TransitionReason;
  /** The memory to keep for the next evaluation (the shell persists it). */
  memory: TriggerMemory;
  condition: string;
  message?: string;
  comparisons: ComparisonResult[];
  missing: string[];
}

export type TriggerKind = TriggerReport['kind'];
