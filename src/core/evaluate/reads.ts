import type { Condition } from '../condition/compile.js';
import type { AlertRule, Amount, Roadmap, Stage } from '../roadmap/model.js';

/**
 * What an evaluation in a stage reads, beyond the v1 parts: so `dataNeeds` fetches every
 * aggregate window the evaluation will ask for (and no other stage's).
 */

/** The alerts watched while `stage` is current: every alert without `stages`, and those naming it. */
export function alertsWatchedIn(roadmap: Roadmap, stage: Stage): AlertRule[] {
  return roadmap.alerts.filter((a) => a.stages === undefined || a.stages.includes(stage.id));
}

const expressionOf = (amount: Amount | undefined): Condition | undefined =>
  amount?.kind === 'expr' ? amount.expr : undefined;

/**
 * Every v2 condition and expression an evaluation in `stage` (in any stage, without one) may
 * read: the stage's to-dos' and team roles' `when`, its budget bounds, every track step's
 * `when` (a track stands at any step, whatever the stage) and every plan value.
 */
export function v2ConditionsRead(roadmap: Roadmap, stage?: Stage): (Condition | undefined)[] {
  const stages = stage ? [stage] : roadmap.stages;
  return [
    ...stages.flatMap((s) => [
      ...s.todos.map((t) => t.when),
      ...s.team.map((r) => r.when),
      ...s.budgetLines.flatMap((l) => [expressionOf(l.min), expressionOf(l.max)]),
    ]),
    ...roadmap.tracks.flatMap((t) => t.steps.map((s) => s.when)),
    ...roadmap.plans.flatMap((p) =>
      p.scenarios.flatMap((s) =>
        s.points.flatMap(({ value }) =>
          value.kind === 'single'
            ? [expressionOf(value.value)]
            : [expressionOf(value.low), expressionOf(value.high)],
        ),
      ),
    ),
  ];
}
