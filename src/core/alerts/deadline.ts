import type { Report } from '../evaluate/report.js';
import type { Roadmap } from '../roadmap/model.js';

/**
 * When the earliest pending trigger of `report` has held for its whole `for`: the instant an
 * evaluation must happen for it to fire on time even if no point is written meanwhile.
 * Undefined when nothing is pending. Pure.
 */
export function nextForDeadline(roadmap: Roadmap, report: Report): Date | undefined {
  const forMs = new Map<string, number>();
  for (const stage of roadmap.stages)
    if (stage.upgrade) forMs.set(stage.upgrade.id, stage.upgrade.forMs);
  for (const alert of roadmap.alerts) forMs.set(alert.id, alert.forMs);
  let earliest: number | undefined;
  for (const trigger of report.triggers) {
    const since = trigger.memory.activeSince;
    const ms = forMs.get(trigger.id);
    if (trigger.state !== 'pending' || !since || ms === undefined) continue;
    const due = since.getTime() + ms;
    if (earliest === undefined || due < earliest) earliest = due;
  }
  return earliest === undefined ? undefined : new Date(earliest);
}
