import type { APIApplicationCommandOptionChoice } from '@discordjs/core/http-only';
import { completionCandidates, type Candidate } from '../../app/completions.js';
import type { AppDeps } from '../../app/context.js';
import { clip, type focusedOption } from './commands.js';
import { COMMAND_LIMITS } from './limits.js';

type Focus = NonNullable<ReturnType<typeof focusedOption>>;

/** Up to 25 suggestions for the option being typed: names starting with it first, then containing it. */
export async function autocompleteChoices(
  deps: AppDeps,
  focus: Focus,
  channel: string | undefined,
): Promise<APIApplicationCommandOptionChoice<string>[]> {
  const completion = focus.plan.completion;
  if (!completion) return [];
  const named = focus.values.get('roadmap');
  // `move`: the steps offered are those of the track already chosen.
  const track = focus.values.get('track');
  const candidates = await completionCandidates(deps, {
    completion,
    mutates: focus.spec.mutates,
    ...(typeof named === 'string' ? { roadmap: named } : {}),
    ...(typeof track === 'string' && track !== '' ? { track } : {}),
    platform: 'discord',
    ...(channel ? { channel } : {}),
  });
  const typed = focus.typed.trim().toLowerCase();
  const seen = new Set<string>();
  const all = candidates.filter(
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
