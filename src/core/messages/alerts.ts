import type { EpisodeRecord } from '../alerts/episode.js';
import type { NotificationKind } from '../alerts/notify.js';
import type { TriggerReport } from '../evaluate/report.js';
import { formatDateTime } from '../time.js';
import type { Unit } from '../units.js';
import { comparisonLine, triggerLabel } from './compose.js';
import type { Action, Line, Message } from './model.js';

/** What an alert message needs to know about its episode. */
export interface EpisodeInfo {
  firedAt?: Date;
  resolvedAt?: Date;
  acknowledgedBy?: string;
  acknowledgedAt?: Date;
  snoozedBy?: string;
  snoozedUntil?: Date;
}

export interface AlertContext {
  kind: NotificationKind;
  roadmap: { id: string; name: string; timezone: string };
  trigger: Pick<
    TriggerReport,
    'id' | 'kind' | 'severity' | 'condition' | 'message' | 'comparisons' | 'missing'
  >;
  units: Map<string, Unit>;
  episode?: EpisodeInfo;
  next?: { id: string; name: string };
  /** Track names by id, so a track's alerts read `Track Database: upgrade` (else the id shows). */
  trackNames?: ReadonlyMap<string, string>;
}

const TITLES: Record<NotificationKind, string> = {
  firing: '🔥 firing',
  repeat: '🔥 still firing',
  resolved: '✔️ resolved',
  approaching: '⚠️ approaching',
};

/** The buttons of a firing alert: each runs a command as whoever clicks. */
function actionsFor(ctx: AlertContext): Action[] {
  const on = `--roadmap ${ctx.roadmap.id}`;
  const actions: Action[] = [
    { id: 'ack', label: 'Acknowledge', command: `ack ${ctx.trigger.id} ${on}`, style: 'primary' },
    { id: 'snooze-1d', label: 'Snooze 1 day', command: `snooze ${ctx.trigger.id} 1d ${on}` },
    { id: 'snooze-1w', label: 'Snooze 1 week', command: `snooze ${ctx.trigger.id} 1w ${on}` },
  ];
  if (ctx.trigger.kind === 'upgrade' && ctx.next)
    actions.push({
      id: 'advance',
      label: `Advance to ${ctx.next.name}`.slice(0, 75),
      command: `advance ${on}`,
      style: 'danger',
    });
  return actions;
}

/** Who did what to the episode, for the footer of the message and of its edits. */
function footerOf(ctx: AlertContext): string | undefined {
  const e = ctx.episode;
  const zone = ctx.roadmap.timezone;
  const parts: string[] = [];
  if (e?.resolvedAt) parts.push(`Resolved ${formatDateTime(e.resolvedAt, zone)}`);
  if (e?.acknowledgedBy)
    parts.push(
      `Acknowledged by ${e.acknowledgedBy}${e.acknowledgedAt ? ` at ${formatDateTime(e.acknowledgedAt, zone)}` : ''}`,
    );
  if (e?.snoozedBy && e.snoozedUntil)
    parts.push(`Snoozed by ${e.snoozedBy} until ${formatDateTime(e.snoozedUntil, zone)}`);
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** An alert, its repeat, its resolution, or an approaching notice. Pure. */
export function alertMessage(ctx: AlertContext): Message {
  const { trigger } = ctx;
  const what =
    trigger.kind === 'upgrade'
      ? 'upgrade trigger'
      : trigger.kind === 'budget'
        ? `budget line ${trigger.id.replace(/^budget\./, '')}`
        : `${trigger.severity} alert`;
  // Budget lines and tracks are named for what they are; alerts and upgrades keep their ids.
  const name =
    trigger.kind === 'budget' || trigger.kind === 'track'
      ? triggerLabel(trigger, ctx.trackNames)
      : trigger.id;
  const lines: Line[] = trigger.comparisons.map((c) => comparisonLine(c, ctx.units));
  if (trigger.missing.length > 0)
    lines.push({ icon: 'unknown', text: `no fresh data for ${trigger.missing.join(', ')}` });
  if (ctx.episode?.firedAt && ctx.kind !== 'approaching') {
    lines.push({
      icon: 'info',
      text: `firing since ${formatDateTime(ctx.episode.firedAt, ctx.roadmap.timezone)}`,
    });
  }
  const settled =
    ctx.episode?.resolvedAt !== undefined || ctx.episode?.acknowledgedBy !== undefined;
  const live = (ctx.kind === 'firing' || ctx.kind === 'repeat') && !settled;
  const footer = footerOf(ctx);
  return {
    title: `${ctx.roadmap.name}: ${name} ${TITLES[ctx.kind]}`,
    subtitle: `${trigger.message ?? `The ${what} ${trigger.condition} ${ctx.kind === 'resolved' ? 'no longer holds' : ctx.kind === 'approaching' ? 'is close to holding' : 'holds'}.`}`,
    tone: ctx.kind === 'resolved' ? 'ok' : ctx.kind === 'approaching' ? 'warn' : 'alert',
    sections: [{ title: trigger.condition, lines }],
    fallback: `${ctx.roadmap.name}: ${trigger.id} ${ctx.kind}${trigger.message ? ` — ${trigger.message}` : ''}`,
    ...(live ? { actions: actionsFor(ctx) } : {}),
    ...(footer ? { footer } : {}),
    ...(live && trigger.severity === 'critical' ? { urgent: true } : {}),
  };
}

/**
 * The firing message of an episode from what was stored of it, for editing its posts when its
 * trigger is not evaluated (the stage was left, or the roadmap no longer has it): no
 * comparisons to show. It shows the condition, not the rule's message, as these edits always
 * have.
 */
export function storedEpisodeMessage(ctx: {
  roadmap: AlertContext['roadmap'];
  episode: Pick<EpisodeRecord, 'triggerId' | 'kind' | 'severity' | 'condition'> & EpisodeInfo;
  next?: AlertContext['next'];
}): Message {
  const { episode } = ctx;
  return alertMessage({
    kind: 'firing',
    roadmap: ctx.roadmap,
    trigger: {
      id: episode.triggerId,
      kind: episode.kind,
      severity: episode.severity,
      condition: episode.condition,
      comparisons: [],
      missing: [],
    },
    units: new Map(),
    episode,
    ...(ctx.next ? { next: ctx.next } : {}),
  });
}
