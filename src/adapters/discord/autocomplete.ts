import type { APIApplicationCommandOptionChoice } from '@discordjs/core/http-only';
import type { AppDeps } from '../../app/context.js';
import { stateAt } from '../../app/evaluate.js';
import { chatCommands, clip, type focusedOption } from './commands.js';
import { COMMAND_LIMITS } from './limits.js';
import { currentStage } from '../../core/evaluate/report.js';
import type { Roadmap } from '../../core/roadmap/model.js';

type Focus = NonNullable<ReturnType<typeof focusedOption>>;

interface Candidate {
  value: string;
  /** Shown in the list; defaults to the value. */
  label?: string;
}

/**
 * The roadmaps an option is about, as the command layer would resolve them: the one named
 * in the same command, else the channel's binding, else every loaded one (so suggestions
 * still come before a roadmap is chosen).
 */
async function roadmapsFor(
  deps: AppDeps,
  focus: Focus,
  channel: string | undefined,
): Promise<Roadmap[]> {
  const named = focus.values.get('roadmap');
  const chosen = typeof named === 'string' ? deps.registry.get(named) : undefined;
  if (chosen) return [chosen];
  if (channel) {
    const bound = await deps.store.channelRoadmap('discord', channel);
    const roadmap = bound ? deps.registry.get(bound) : undefined;
    if (roadmap) return [roadmap];
  }
  return deps.registry.list();
}

async function candidates(
  deps: AppDeps,
  focus: Focus,
  channel: string | undefined,
): Promise<Candidate[]> {
  // A mutating command cannot take derived metrics or metric-checked gates: do not offer them.
  const mutates = focus.spec.mutates;
  switch (focus.plan.completion) {
    case 'roadmap':
      return deps.registry.list().map((r) => ({ value: r.id, label: `${r.id} — ${r.name}` }));
    case 'command':
      return chatCommands().map((c) => ({ value: c.name, label: `${c.name} — ${c.summary}` }));
    case 'metric':
    case 'flag': {
      const roadmaps = await roadmapsFor(deps, focus, channel);
      return roadmaps.flatMap((r) =>
        [...r.metrics.values()]
          .filter((m) =>
            focus.plan.completion === 'flag' ? m.unit === 'flag' : !(mutates && m.derive),
          )
          .map((m) => ({
            value: m.name,
            label: m.label && m.label !== m.name ? `${m.name} — ${m.label}` : m.name,
          })),
      );
    }
    case 'gate': {
      const roadmaps = await roadmapsFor(deps, focus, channel);
      const now = deps.clock();
      const perRoadmap = await Promise.all(
        roadmaps.map(async (r) => {
          const stage = currentStage(r, await stateAt(deps, r, now));
          return stage.gates
            .filter((g) => !(mutates && g.check))
            .map((g) => ({ value: g.id, label: `${g.id} — ${g.text}` }));
        }),
      );
      return perRoadmap.flat();
    }
    case 'alert': {
      const roadmaps = await roadmapsFor(deps, focus, channel);
      return roadmaps.flatMap((r) => [
        ...r.alerts.map((a) => ({ value: a.id, label: `${a.id} (${a.severity})` })),
        ...r.stages.flatMap((s) =>
          s.upgrade
            ? [{ value: s.upgrade.id, label: `${s.upgrade.id} — upgrade from ${s.name}` }]
            : [],
        ),
      ]);
    }
    default:
      return [];
  }
}

/** Up to 25 suggestions for the option being typed: names starting with it first, then containing it. */
export async function autocompleteChoices(
  deps: AppDeps,
  focus: Focus,
  channel: string | undefined,
): Promise<APIApplicationCommandOptionChoice<string>[]> {
  const typed = focus.typed.trim().toLowerCase();
  const seen = new Set<string>();
  const all = (await candidates(deps, focus, channel)).filter(
    (c) => c.value.length <= COMMAND_LIMITS.choiceValue && !seen.has(c.value) && seen.add(c.value),
  );
  const text = (c: Candidate) => `${c.value} ${c.label ?? ''}`.toLowerCase();
  const ranked = [
    ...all.filter((c) => c.value.toLowerCase().startsWith(typed)),
    ...all.filter((c) => !c.value.toLowerCase().startsWith(typed) && text(c).includes(typed)),
  ];
  return ranked
    .slice(0, COMMAND_LIMITS.choices)
    .map((c) => ({ name: clip(c.label ?? c.value, COMMAND_LIMITS.choiceName), value: c.value }));
}
