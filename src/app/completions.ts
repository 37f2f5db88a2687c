import { availableOn, COMMANDS } from '../core/commands/table.js';
import { currentStage } from '../core/evaluate/report.js';
import type { Roadmap } from '../core/roadmap/model.js';
import type { AppDeps } from './context.js';
import { stateAt } from './evaluate.js';

/** What an argument or option names, and so what typing it can be completed to. */
export type Completion = 'roadmap' | 'metric' | 'flag' | 'gate' | 'alert' | 'command';

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
          return stage.gates
            .filter((g) => !(mutates && g.check))
            .map((g) => ({ value: g.id, label: `${g.id} — ${g.text}` }));
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
