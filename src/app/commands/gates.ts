import type { ParsedCommand } from '../../core/commands/parse.js';
import { currentStage, type RoadmapState } from '../../core/evaluate/report.js';
import { gatesMessage, infoMessage } from '../../core/messages/compose.js';
import type { Roadmap, Stage, Todo } from '../../core/roadmap/model.js';
import { formatDateTime } from '../../core/time.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { CommandError } from '../errors.js';
import { evaluateAt, resolveRoadmap, stateAt } from '../evaluate.js';

/** `gates`: the current stage's checklist. */
export async function gates(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const report = await evaluateAt(deps, roadmap, deps.clock());
  return { message: gatesMessage(report), exitCode: 0, public: command.options.public === true };
}

/**
 * `check <id>` / `uncheck <id>`: a person ticks a gate or a to-do of the current stage (gate
 * and to-do ids share one namespace per stage; the loader refuses a repeat).
 */
export function tick(passed: boolean) {
  return async (deps: AppDeps, invocation: Invocation, command: ParsedCommand): Promise<Reply> => {
    const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
    const now = deps.clock();
    const state = await stateAt(deps, roadmap, now);
    const stage = currentStage(roadmap, state);
    const id = command.args.gate as string;
    const gate = stage.gates.find((g) => g.id === id);
    const todo = gate ? undefined : stage.todos.find((t) => t.id === id);
    if (todo) return tickTodo(deps, invocation, { roadmap, stage, todo, state, now }, passed);
    if (!gate) {
      const list = (ids: string[]) => ids.join(', ') || 'none';
      throw new CommandError(
        'not_found',
        `gate: ${stage.name} has no gate or to-do "${id}" (gates: ${list(stage.gates.map((g) => g.id))}; to-dos: ${list(stage.todos.map((t) => t.id))})`,
      );
    }
    if (gate.check) {
      throw new CommandError(
        'invalid',
        `gate: "${gate.id}" is checked from metrics (${gate.check.text}); it passes while that holds`,
      );
    }
    await deps.store.transaction(async (tx) => {
      await tx.state.tickGate({
        roadmapId: roadmap.id,
        stageId: stage.id,
        gateId: gate.id,
        passed,
        actor: invocation.actor,
        at: now,
      });
      await tx.audit.record({
        actor: invocation.actor,
        roadmapId: roadmap.id,
        action: passed ? 'check' : 'uncheck',
        details: { stage: stage.id, gate: gate.id },
        at: now,
      });
    });
    return {
      message: infoMessage(`${passed ? '☑️ Checked' : '⬜ Unchecked'} ${gate.id}: ${gate.text}`),
      exitCode: 0,
    };
  };
}

/**
 * A to-do ticked (`done`) or unticked. Ticking one already in that state writes nothing, so
 * who did it first, and when, stays what `status` shows.
 */
async function tickTodo(
  deps: AppDeps,
  invocation: Invocation,
  at: { roadmap: Roadmap; stage: Stage; todo: Todo; state: RoadmapState; now: Date },
  done: boolean,
): Promise<Reply> {
  const { roadmap, stage, todo, state, now } = at;
  const tick = state.todoChecks?.get(todo.id);
  if ((tick?.done === true) === done) {
    const already = tick?.done
      ? `already done (by ${tick.actor}, ${formatDateTime(tick.at, roadmap.timezone)})`
      : 'not done; nothing to uncheck';
    return {
      message: infoMessage(`To-do ${todo.id} is ${already}`, [todo.text], 'info'),
      exitCode: 0,
    };
  }
  await deps.store.transaction(async (tx) => {
    await tx.state.tickTodo({
      roadmapId: roadmap.id,
      stageId: stage.id,
      todoId: todo.id,
      done,
      actor: invocation.actor,
      at: now,
    });
    await tx.audit.record({
      actor: invocation.actor,
      roadmapId: roadmap.id,
      action: done ? 'check' : 'uncheck',
      details: { stage: stage.id, todo: todo.id },
      at: now,
    });
  });
  return {
    message: infoMessage(`${done ? '☑️ Checked' : '⬜ Unchecked'} to-do ${todo.id}: ${todo.text}`),
    exitCode: 0,
  };
}

/** `advance [--force]`: next stage, only when every gate passes unless forced (and the force is recorded). */
export async function advance(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const now = deps.clock();
  const report = await evaluateAt(deps, roadmap, now);
  const next = roadmap.stages[report.stage.index + 1];
  if (!next)
    throw new CommandError(
      'conflict',
      `${report.stage.name} is the last stage; there is nothing to advance to`,
    );
  const open = report.gates.filter((g) => !g.passed);
  const forced = command.options.force === true;
  if (open.length > 0 && !forced) {
    throw new CommandError(
      'conflict',
      `cannot advance: ${open.length} of ${report.gates.length} gates of ${report.stage.name} are not passed (advance --force to move anyway; it is recorded)`,
      open.map((g) => `${g.id}: ${g.text}${g.state === 'unknown' ? ' (no data)' : ''}`),
    );
  }
  await deps.store.transaction(async (tx) => {
    await tx.state.moveStage({
      roadmapId: roadmap.id,
      from: report.stage.id,
      to: next.id,
      forced: forced && open.length > 0,
      actor: invocation.actor,
      at: now,
    });
    await tx.audit.record({
      actor: invocation.actor,
      roadmapId: roadmap.id,
      action: 'advance',
      details: {
        from: report.stage.id,
        to: next.id,
        forced: forced && open.length > 0,
        openGates: open.map((g) => g.id),
      },
      at: now,
    });
  });
  const lines =
    forced && open.length > 0
      ? [`Forced with open gates: ${open.map((g) => g.id).join(', ')}`]
      : [];
  return {
    message: infoMessage(
      `Advanced ${roadmap.name} from ${report.stage.name} to ${next.name}`,
      lines,
    ),
    exitCode: 0,
  };
}
