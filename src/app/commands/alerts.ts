import type { EpisodeRecord } from '../../core/alerts/episode.js';
import { editsOf, episodeMessage } from '../../core/alerts/plan.js';
import type { ParsedCommand } from '../../core/commands/parse.js';
import { parseDurationLiteral } from '../../core/condition/parse.js';
import { formatDuration } from '../../core/duration.js';
import { infoMessage } from '../../core/messages/compose.js';
import type { Line, Message } from '../../core/messages/model.js';
import type { Roadmap } from '../../core/roadmap/model.js';
import { formatDateTime } from '../../core/time.js';
import { outgoing } from '../alerts/engine.js';
import type { AlertStore } from '../alerts/ports.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { CommandError } from '../errors.js';
import { evaluateAt, resolveRoadmap } from '../evaluate.js';

const MAX_SNOOZE_MS = 90 * 86_400_000;

/** `alerts` / `alerts history`: what is firing now, or past episodes. */
export async function alerts(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const zone = roadmap.timezone;
  const isPublic = command.options.public === true;
  const mode = command.args.history;
  if (mode !== undefined && mode.toLowerCase() !== 'history')
    throw new CommandError('usage', `expected "alerts" or "alerts history", got "alerts ${mode}"`);

  if (mode !== undefined) {
    const past = await deps.store.alerts.episodes(roadmap.id, { limit: 25 });
    const lines: Line[] = past.map((e) => ({
      icon: e.resolvedAt ? 'resolved' : 'firing',
      text: `#${e.id} ${e.triggerId} (${e.severity}): fired ${formatDateTime(e.firedAt, zone)}${e.resolvedAt ? `, resolved ${formatDateTime(e.resolvedAt, zone)}` : ', still firing'}`,
      ...(e.acknowledgedBy ? { detail: `acknowledged by ${e.acknowledgedBy}` } : {}),
    }));
    const message: Message = {
      title: `${roadmap.name}: alert history`,
      tone: 'info',
      sections: [{ lines: lines.length > 0 ? lines : [{ text: 'No alert has fired yet.' }] }],
      fallback: `${roadmap.name}: ${past.length} alert episodes`,
    };
    return { message, exitCode: 0, public: isPublic };
  }

  const [report, memory, open] = await Promise.all([
    evaluateAt(deps, roadmap, deps.clock()),
    deps.store.alerts.memory(roadmap.id),
    deps.store.alerts.episodes(roadmap.id, { openOnly: true }),
  ]);
  const lines: Line[] = [];
  for (const t of report.triggers) {
    const stored = memory.get(t.id);
    const state = stored?.state ?? t.state;
    if (state === 'ok' || state === 'resolved') continue;
    const episode = open.find((e) => e.triggerId === t.id);
    const since = stored ? ` since ${formatDateTime(stored.since, zone)}` : '';
    const notes = [
      t.condition,
      episode?.acknowledgedBy ? `acknowledged by ${episode.acknowledgedBy}` : undefined,
      episode?.snoozedUntil && episode.snoozedUntil > deps.clock()
        ? `snoozed until ${formatDateTime(episode.snoozedUntil, zone)}`
        : undefined,
    ].filter(Boolean);
    lines.push({
      icon:
        state === 'firing'
          ? 'firing'
          : state === 'pending'
            ? 'pending'
            : state === 'unknown'
              ? 'unknown'
              : 'approaching',
      text: `${t.id} (${t.severity}): ${state}${since}`,
      detail: notes.join(' · '),
    });
  }
  const message: Message = {
    title: `${roadmap.name}: alerts`,
    tone: lines.some((l) => l.icon === 'firing') ? 'alert' : lines.length > 0 ? 'warn' : 'ok',
    sections: [
      {
        lines:
          lines.length > 0
            ? lines
            : [{ icon: 'ok', text: 'Nothing is firing, pending or approaching.' }],
      },
    ],
    fallback: `${roadmap.name}: ${lines.length} alerts need attention`,
  };
  return { message, exitCode: 0, public: isPublic };
}

/** The open episode of an alert named by a person, or a clear error. */
async function openEpisodeNamed(
  deps: AppDeps,
  roadmap: Roadmap,
  id: string,
): Promise<EpisodeRecord> {
  const known = [
    ...new Set([
      ...roadmap.stages.flatMap((s) => (s.upgrade ? [s.upgrade.id] : [])),
      ...roadmap.alerts.map((a) => a.id),
      // v2: tracks' and budget lines' alerts have episodes too (a line id may recur by stage).
      ...roadmap.tracks.flatMap((t) => [`${t.id}.upgrade`, `${t.id}.capacity`]),
      ...roadmap.stages.flatMap((s) =>
        s.budgetLines.filter((l) => l.watched).map((l) => `budget.${l.id}`),
      ),
    ]),
  ];
  if (!known.includes(id))
    throw new CommandError(
      'not_found',
      `alert: no alert "${id}" in ${roadmap.id} (alerts: ${known.join(', ')})`,
    );
  const episode = await deps.store.alerts.openEpisodeOf(roadmap.id, id);
  if (!episode)
    throw new CommandError(
      'conflict',
      `alert: ${id} is not firing, so there is nothing to acknowledge or snooze`,
    );
  return episode;
}

function who(invocation: Invocation): string {
  const { platform, id } = invocation.actor;
  // Slack and Discord both render <@id> as a mention; elsewhere the id is the name.
  return platform === 'slack' || platform === 'discord' ? `<@${id}>` : id;
}

/**
 * Records an acknowledgement or a snooze, edits the episode's first posts to show it (through
 * the outbox), and audits it, in one transaction.
 */
async function settle(
  deps: AppDeps,
  invocation: Invocation,
  roadmap: Roadmap,
  episode: EpisodeRecord,
  action: 'ack' | 'snooze',
  details: Record<string, unknown>,
  update: (alerts: AlertStore) => Promise<EpisodeRecord | undefined>,
): Promise<EpisodeRecord> {
  const now = deps.clock();
  return deps.store.transaction(async (tx) => {
    const updated = (await update(tx.alerts)) ?? episode;
    // The message as it stands now: the trigger's current evaluation, and who settled it.
    const message = episodeMessage(await evaluateAt({ store: tx }, roadmap, deps.clock()), updated);
    const posts = (await tx.alerts.firstPosts([updated.id])).get(updated.id) ?? [];
    for (const edit of editsOf(updated.id, posts, `${action}-${now.getTime()}`, message))
      await tx.alerts.enqueue(outgoing(edit, updated.roadmapId, updated.id, now));
    await tx.audit.record({
      actor: invocation.actor,
      roadmapId: roadmap.id,
      action,
      details: { alert: episode.triggerId, episode: episode.id, ...details },
      at: now,
    });
    return updated;
  });
}

/** `ack <alert>`: stops the repeats of the current episode; its posts show who acknowledged. */
export async function ack(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const episode = await openEpisodeNamed(deps, roadmap, command.args.alert as string);
  await settle(deps, invocation, roadmap, episode, 'ack', {}, (alerts) =>
    alerts.acknowledge(episode.id, who(invocation), deps.clock()),
  );
  return {
    message: infoMessage(`✅ ${episode.triggerId} acknowledged by ${who(invocation)}`),
    exitCode: 0,
  };
}

/** `snooze <alert> <duration>`: no repeats until then. */
export async function snooze(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const text = command.args.duration as string;
  const ms = parseDurationLiteral(text);
  if (ms === undefined || ms <= 0 || ms > MAX_SNOOZE_MS)
    throw new CommandError(
      'invalid',
      `duration: expected a duration up to 90d such as 1h, 1d or 1w, got "${text}"`,
    );
  const episode = await openEpisodeNamed(deps, roadmap, command.args.alert as string);
  const until = new Date(deps.clock().getTime() + ms);
  await settle(
    deps,
    invocation,
    roadmap,
    episode,
    'snooze',
    { until: until.toISOString() },
    (alerts) => alerts.snooze(episode.id, who(invocation), until),
  );
  return {
    message: infoMessage(
      `😴 ${episode.triggerId} snoozed for ${formatDuration(ms)} by ${who(invocation)} (until ${formatDateTime(until, roadmap.timezone)})`,
    ),
    exitCode: 0,
  };
}
