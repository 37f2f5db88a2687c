import type { ParsedCommand } from '../../core/commands/parse.js';
import { currentStage } from '../../core/evaluate/report.js';
import { gatesMessage, infoMessage } from '../../core/messages/compose.js';
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

/** `check <gate>` / `uncheck <gate>`: a person ticks a gate of the current stage. */
export function tick(passed: boolean) {
  return async (deps: AppDeps, invocation: Invocation, command: ParsedCommand): Promise<Reply> => {
    const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
    const now = deps.clock();
    const state = await stateAt(deps, roadmap, now);
    const stage = currentStage(roadmap, state);
    const gateId = command.args.gate as string;
    const gate = stage.gates.find((g) => g.id === gateId);
    if (!gate) {
      throw new CommandError(
        'not_found',
        `gate: ${stage.name} has no gate "${gateId}" (gates: ${stage.gates.map((g) => g.id).join(', ') || 'none'})`,
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
