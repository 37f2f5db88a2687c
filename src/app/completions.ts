import { availableOn, COMMANDS } from '../core/commands/table.js';
import { currentStage } from '../core/evaluate/report.js';
import { currentStep } from '../core/evaluate/tracks.js';
import type { Roadmap } from '../core/roadmap/model.js';
import type { AppDeps } from './context.js';
import { stateAt } from './evaluate.js';

/** What an argument or option names, and so what typing it can be completed to. */
export type Completion =
  | 'roadmap'
  | 'metric'
  | 'flag'
  /** A gate or, for the commands that tick them, a to-do of the current stage (one namespace). */
  | 'gate'
  | 'alert'
  | 'command'
  | 'track'
  /** A step of the track named in the same command, else of every track. */
  | 'step';

/** One suggestion: the value it fills in, and what to show for it. */
export interface Candidate {
  value: string;
  /** Shown in the list; defaults to the value. */
  label?: string;
}

export interface CompletionRequest {
  completion: Completion;
  /** The command being typed changes state: it cannot take derived metrics or metric-checked gates. */
  mutates: boolean;
  /** The roadmap already named in the same command, if any. */
  roadmap?: string;
  /** The track already named in the same command (`move <track> <step>`), if any. */
  track?: string;
  /** Where it is typed: a channel bound to a roadmap narrows the suggestions to it. */
  platform: string;
  channel?: string;
}

/**
 * The roadmaps a suggestion is about, as the command layer would resolve them: the one named
 * in the same command, else the channel's binding, else every loaded one (so suggestions
 * still come before a roadmap is chosen).
 */
async function roadmapsFor(deps: AppDeps, request: CompletionRequest): Promise<Roadmap[]> {
  const chosen = request.roadmap !== undefined ? deps.registry.get(request.roadmap) : undefined;
  if (chosen) return [chosen];
  if (request.channel) {
    const bound = await deps.store.channels.roadmapOf(request.platform, request.channel);
    const roadmap = bound ? deps.registry.get(bound) : undefined;
    if (roadmap) return [roadmap];
  }
  return deps.registry.list();
}

/**
 * Every value an argument being typed in chat could take, unranked (the adapter ranks them by
 * what was typed and cuts them to its platform's limits).
 */
export async function completionCandidates(
  deps: AppDeps,
  request: CompletionRequest,
): Promise<Candidate[]> {
  const { mutates } = request;
  switch (request.completion) {
    case 'roadmap':
      return deps.registry.list().map((r) => ({ value: r.id, label: `${r.id} — ${r.name}` }));
    case 'command':
      return COMMANDS.filter((c) => availableOn(c, 'chat')).map((c) => ({
        value: c.name,
        label: `${c.name} — ${c.summary}`,
      }));
    case 'metric':
    case 'flag': {
      const roadmaps = await roadmapsFor(deps, request);
      return roadmaps.flatMap((r) =>
        [...r.metrics.values()]
          .filter((m) =>
            request.completion === 'flag' ? m.unit === 'flag' : !(mutates && m.derive),
          )
          .map((m) => ({
            value: m.name,
            label: m.label && m.label !== m.name ? `${m.name} — ${m.label}` : m.name,
          })),
      );
    }
    case 'gate': {
      const roadmaps = await roadmapsFor(deps, request);
      const now = deps.clock();
      const perRoadmap = await Promise.all(
        roadmaps.map(async (r) => {
          const stage = currentStage(r, await stateAt(deps, r, now));
          return [
            ...stage.gates
              .filter((g) => !(mutates && g.check))
              .map((g) => ({ value: g.id, label: `${g.id} — ${g.text}` })),
            // To-dos are ticked by the same commands as gates; reading commands list gates only.
            ...(mutates
              ? stage.todos.map((t) => ({ value: t.id, label: `${t.id} — ${t.text} (to-do)` }))
              : []),
          ];
        }),
      );
      return perRoadmap.flat();
    }
    case 'track': {
      const roadmaps = await roadmapsFor(deps, request);
      return roadmaps.flatMap((r) =>
        r.tracks.map((t) => ({ value: t.id, label: `${t.id} — ${t.name}` })),
      );
    }
    case 'step': {
      const roadmaps = await roadmapsFor(deps, request);
      const now = deps.clock();
      const perRoadmap = await Promise.all(
        roadmaps.map(async (r) => {
          const named = r.tracks.filter((t) => t.id === request.track);
          const tracks = named.length > 0 ? named : r.tracks;
          // The step a track stands at is left out once the track is known: moving there is refused.
          const state = named.length > 0 ? await stateAt(deps, r, now) : undefined;
          return tracks.flatMap((t) => {
            const current = state ? currentStep(t, state.trackSteps).id : undefined;
            return t.steps
              .filter((s) => s.id !== current)
              .map((s) => ({
                value: s.id,
                label: `${s.id} — ${named.length > 0 ? '' : `${t.name}: `}${s.name}`,
              }));
          });
        }),
      );
      return perRoadmap.flat();
    }
    case 'alert': {
      const roadmaps = await roadmapsFor(deps, request);
      return roadmaps.flatMap((r) => [
        ...r.alerts.map((a) => ({ value: a.id, label: `${a.id} (${a.severity})` })),
        ...r.stages.flatMap((s) =>
          s.upgrade
            ? [{ value: s.upgrade.id, label: `${s.upgrade.id} — upgrade from ${s.name}` }]
            : [],
        ),
      ]);
    }
  }
}
