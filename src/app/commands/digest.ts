import { DateTime } from 'luxon';
import type { ParsedCommand } from '../../core/commands/parse.js';
import { formatDateTime } from '../../core/time.js';
import type { Line, Message } from '../../core/messages/model.js';
import { buildDigest } from '../alerts/digests.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { CommandError } from '../errors.js';
import { resolveRoadmap } from '../evaluate.js';

/** `digest --dry-run`: the digest as it would be sent now; nothing is sent or remembered. */
export async function digest(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const now = deps.clock();
  const localDate = DateTime.fromJSDate(now, { zone: roadmap.timezone }).toISODate() as string;
  const { message } = await buildDigest(deps, roadmap, now, { localDate, late: false });
  return {
    message: {
      ...message,
      footer: 'Preview: digests are sent on schedule to subscribed channels.',
    },
    exitCode: 0,
    public: command.options.public === true,
  };
}

/** `deliveries [--failed]` · `deliveries retry <id>`: the outbox, for people. */
export async function deliveries(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const action = command.args.action?.toLowerCase();
  if (action !== undefined && action !== 'retry')
    throw new CommandError(
      'usage',
      `expected "deliveries" or "deliveries retry <id>", got "deliveries ${action}"`,
    );
  if (action === 'retry') {
    if (!invocation.isAdmin)
      throw new CommandError('forbidden', 'Sorry, only roadmap admins can retry deliveries.');
    const id = Number(command.args.id);
    if (!Number.isInteger(id) || id <= 0)
      throw new CommandError(
        'usage',
        `deliveries retry needs a delivery id, got "${command.args.id ?? ''}"`,
      );
    const now = deps.clock();
    await deps.store.transaction(async (tx) => {
      if (!(await tx.outbox.retry(id, now)))
        throw new CommandError('not_found', `delivery ${id} is not a failed delivery`);
      await tx.audit.record({
        actor: invocation.actor,
        action: 'retry-delivery',
        details: { delivery: id },
        at: now,
      });
    });
    return {
      message: {
        title: `Delivery ${id} will be sent again`,
        tone: 'ok',
        sections: [],
        fallback: `Delivery ${id} queued again`,
      },
      exitCode: 0,
    };
  }
  const rows = await deps.store.outbox.list({
    ...(command.options.failed ? { status: 'failed' as const } : {}),
    limit: 25,
  });
  const depth = await deps.store.outbox.depth();
  const lines: Line[] = rows.map((d) => ({
    icon: d.status === 'sent' ? 'ok' : d.status === 'failed' ? 'error' : 'pending',
    text: `#${d.id} ${d.kind} → ${d.platform}:${d.channel}: ${d.status}${d.attempts > 1 ? ` after ${d.attempts} attempts` : ''}`,
    detail: [
      d.key,
      d.sentAt
        ? `sent ${formatDateTime(d.sentAt, 'UTC')} UTC`
        : d.status === 'pending'
          ? `next try ${formatDateTime(d.nextAttemptAt, 'UTC')} UTC`
          : undefined,
      d.lastError,
    ]
      .filter(Boolean)
      .join(' · '),
  }));
  const message: Message = {
    title: `Deliveries: ${depth.pending} waiting, ${depth.failed} failed`,
    tone: depth.failed > 0 ? 'warn' : 'info',
    sections: [{ lines: lines.length > 0 ? lines : [{ text: 'Nothing has been sent yet.' }] }],
    fallback: `${depth.pending} deliveries waiting, ${depth.failed} failed`,
  };
  return { message, exitCode: 0 };
}
