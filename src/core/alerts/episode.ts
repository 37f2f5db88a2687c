import type { TriggerReport } from '../evaluate/report.js';
import type { TriggerMemory, TriggerState } from '../evaluate/transition.js';
import type { Severity } from '../roadmap/model.js';
import type { Episode } from './notify.js';

/** A trigger's memory as stored, with the episode it belongs to (kept while firing or just resolved). */
export interface StoredTrigger extends TriggerMemory {
  episodeId?: number;
}

/** What an episode says of its trigger, as it was when it started firing. */
interface EpisodeTrigger {
  roadmapId: string;
  triggerId: string;
  kind: TriggerReport['kind'];
  severity: Severity;
  condition: string;
  message?: string;
}

/** An episode to open. */
export interface NewEpisode extends EpisodeTrigger {
  pendingSince?: Date;
  firedAt: Date;
  details: unknown;
}

/** An episode as stored: from the moment a trigger fired until it resolved, and who settled it. */
export interface EpisodeRecord extends Episode, EpisodeTrigger {
  resolvedAt?: Date;
  acknowledgedBy?: string;
  snoozedBy?: string;
}

/** The first post of an episode in one channel: what resolutions and acknowledgements edit. */
export interface FirstPost {
  id: number;
  platform: string;
  channel: string;
}

/**
 * A trigger's state as the digest and `alerts` show it: firing or pending as the alert engine
 * remembers it, so what they show agrees with the alerts sent; otherwise as evaluated now.
 */
export function rememberedState(
  trigger: { id: string; state: TriggerState },
  memory: ReadonlyMap<string, Pick<TriggerMemory, 'state'>> | undefined,
): TriggerState {
  const stored = memory?.get(trigger.id)?.state;
  return stored === 'firing' || stored === 'pending' ? stored : trigger.state;
}
