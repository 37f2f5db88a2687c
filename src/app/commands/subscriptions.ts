import type { ParsedCommand } from '../../core/commands/parse.js';
import { infoMessage } from '../../core/messages/compose.js';
import { timezoneIsValid } from '../../core/roadmap/schema.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { CommandError } from '../errors.js';
import { resolveRoadmap } from '../evaluate.js';
import { channelOf } from './channels.js';

const SEVERITIES = ['info', 'warning', 'critical'];

function kindOf(command: ParsedCommand): 'digest' | 'alerts' {
  const what = (command.args.what as string).toLowerCase();
  if (what === 'digest' || what === 'alerts') return what;
  throw new CommandError(
    'usage',
    `expected "${command.spec.name} digest" or "${command.spec.name} alerts", got "${what}"`,
  );
}

/** `subscribe digest [HH:MM] [timezone]` · `subscribe alerts [severity]`. */
export async function subscribe(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const where = channelOf(invocation, command);
  const kind = kindOf(command);
  let time: string | null = null;
  let timezone: string | null = null;
  let severity: string | null = null;
  if (kind === 'digest') {
    time = command.args.when ?? '09:00';
    if (!/^([01]?\d|2[0-3]):[0-5]\d$/.test(time))
      throw new CommandError('invalid', `time: expected HH:MM such as 09:00, got "${time}"`);
    time = time.padStart(5, '0');
    timezone = command.args.timezone ?? roadmap.timezone;
    if (!timezoneIsValid(timezone))
      throw new CommandError(
        'invalid',
        `timezone: expected an IANA timezone such as America/New_York, got "${timezone}"`,
      );
  } else {
    severity = (command.args.when ?? 'info').toLowerCase();
    if (!SEVERITIES.includes(severity))
      throw new CommandError(
        'invalid',
        `severity: expected info, warning or critical, got "${command.args.when}"`,
      );
    if (command.args.timezone !== undefined)
      throw new CommandError('usage', 'alerts take a minimum severity, not a timezone');
  }
  const now = deps.clock();
  await deps.store.transaction(async (tx) => {
    await tx.subscriptions.save({
      ...where,
      roadmapId: roadmap.id,
      kind,
      minSeverity: severity,
      digestTime: time,
      timezone,
      by: invocation.actor,
      at: now,
    });
    await tx.audit.record({
      actor: { ...invocation.actor, channel: where.channel },
      roadmapId: roadmap.id,
      action: 'subscribe',
      details: { kind, platform: where.platform, channel: where.channel, time, timezone, severity },
      at: now,
    });
  });
  const what =
    kind === 'digest'
      ? `the daily digest of ${roadmap.name} at ${time} ${timezone}`
      : `${roadmap.name} alerts of severity ${severity} and above`;
  return {
    message: infoMessage(`🔔 ${where.platform}:${where.channel} will get ${what}`),
    exitCode: 0,
  };
}

/** `unsubscribe digest|alerts`. */
export async function unsubscribe(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const where = channelOf(invocation, command);
  const kind = kindOf(command);
  const now = deps.clock();
  await deps.store.transaction(async (tx) => {
    if (!(await tx.subscriptions.remove(where, roadmap.id, kind)))
      throw new CommandError(
        'not_found',
        `${where.platform}:${where.channel} has no ${kind} subscription to ${roadmap.id}`,
      );
    await tx.audit.record({
      actor: { ...invocation.actor, channel: where.channel },
      roadmapId: roadmap.id,
      action: 'unsubscribe',
      details: { kind, platform: where.platform, channel: where.channel },
      at: now,
    });
  });
  return {
    message: infoMessage(
      `🔕 ${where.platform}:${where.channel} will no longer get ${kind === 'digest' ? 'the digest' : 'alerts'} of ${roadmap.name}`,
    ),
    exitCode: 0,
  };
}
