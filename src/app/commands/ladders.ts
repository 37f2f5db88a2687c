import type { ParsedCommand } from '../../core/commands/parse.js';
import { currentStep } from '../../core/evaluate/tracks.js';
import { infoMessage } from '../../core/messages/compose.js';
import { budgetMessage, planMessage, tracksMessage } from '../../core/messages/ladders.js';
import type { Roadmap, Track, TrackStep } from '../../core/roadmap/model.js';
import { formatValue } from '../../core/units.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { CommandError } from '../errors.js';
import { evaluateAt, evaluateWithForecast, resolveRoadmap, stateAt } from '../evaluate.js';
import { nowFrom } from './values.js';

/**
 * The v2 commands over a roadmap's money and ladders (docs/ROADMAP_FORMAT.md, "Version 2"):
 * `budget`, `plan` and `tracks` read (as of now or, with --now, a past moment, as `status`
 * does); `move <track> <step>` moves a track, audited.
 */

/** The roadmap and the instant a read command is about. */
function readTarget(deps: AppDeps, invocation: Invocation, command: ParsedCommand) {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  return { roadmap, now: nowFrom(command.options.now, roadmap.timezone, deps.clock()) };
}

/** `budget`: the current stage's lines and totals; burn dates need the forecast. */
export async function budget(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const { roadmap, now } = readTarget(deps, invocation, command);
  const report = await evaluateWithForecast(deps, roadmap, now);
  return { message: budgetMessage(report), exitCode: 0, public: command.options.public === true };
}

/** `plan`: each plan's expected value or range, the actual value, its state and scenario. */
export async function plan(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const { roadmap, now } = readTarget(deps, invocation, command);
  const report = await evaluateAt(deps, roadmap, now);
  return { message: planMessage(report), exitCode: 0, public: command.options.public === true };
}

/** `tracks`: each track's current and due step, the current step's capacity, its state. */
export async function tracks(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const { roadmap, now } = readTarget(deps, invocation, command);
  const report = await evaluateAt(deps, roadmap, now);
  return { message: tracksMessage(report), exitCode: 0, public: command.options.public === true };
}

function findTrack(roadmap: Roadmap, id: string): Track {
  const track = roadmap.tracks.find((t) => t.id === id);
  if (track) return track;
  const ids = roadmap.tracks.map((t) => t.id).join(', ');
  throw new CommandError(
    'not_found',
    ids
      ? `track: ${roadmap.name} has no track "${id}" (tracks: ${ids})`
      : `track: ${roadmap.name} has no tracks (add a \`tracks:\` list to its file; see docs/ROADMAP_FORMAT.md)`,
  );
}

function findStep(track: Track, id: string): TrackStep {
  const step = track.steps.find((s) => s.id === id);
  if (step) return step;
  throw new CommandError(
    'not_found',
    `step: ${track.name} has no step "${id}" (steps: ${track.steps.map((s) => s.id).join(', ')})`,
  );
}

/** The step's cost and capacity, in the units of the roadmap's metrics. */
function stepLines(roadmap: Roadmap, step: TrackStep): string[] {
  const cost =
    step.cost !== undefined
      ? `Cost: ${formatValue(step.cost, 'usd')} per month`
      : 'Cost: not given';
  const limits = step.capacity.map(({ metric, limit }) => {
    const unit = roadmap.metrics.get(metric)?.unit ?? 'count';
    return `${metric} up to ${formatValue(limit, unit)}`;
  });
  return [cost, `Capacity: ${limits.length > 0 ? limits.join(', ') : 'no limits given'}`];
}

/**
 * `move <track> <step>`: a person moves a track, forwards (an upgrade done) or backwards (a
 * rollback). The current step is read in the same transaction as the move and its audit row,
 * so what the reply says "from" is what was stored.
 */
export async function move(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const track = findTrack(roadmap, command.args.track as string);
  const to = findStep(track, command.args.step as string);
  const now = deps.clock();
  const from = await deps.store.transaction(async (tx) => {
    const state = await stateAt({ store: tx }, roadmap, now);
    const current = currentStep(track, state.trackSteps);
    if (current.id === to.id)
      throw new CommandError(
        'conflict',
        `${track.name} is already at ${to.name} (${to.id}); steps: ${track.steps.map((s) => s.id).join(', ')}`,
      );
    await tx.state.moveTrack({
      roadmapId: roadmap.id,
      trackId: track.id,
      from: current.id,
      to: to.id,
      actor: invocation.actor,
      at: now,
    });
    await tx.audit.record({
      actor: invocation.actor,
      roadmapId: roadmap.id,
      action: 'move',
      details: {
        track: track.id,
        from: current.id,
        to: to.id,
        rollback: to.index < current.index,
      },
      at: now,
    });
    return current;
  });
  // Backwards is allowed (an upgrade undone); the reply says so, as the audit row does.
  const rollback = to.index < from.index ? ' (a rollback)' : '';
  return {
    message: infoMessage(
      `Moved ${track.name} from ${from.name} to ${to.name}${rollback}`,
      stepLines(roadmap, to),
    ),
    exitCode: 0,
  };
}
