import type { ParsedCommand } from '../../core/commands/parse.js';
import type { Message } from '../../core/messages/model.js';
import { formatDateTime } from '../../core/time.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { actorName } from '../ports/audit.js';
import { CommandError } from '../errors.js';

/** Names start with a letter, so `token revoke 12` can only mean the token with id 12. */
const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;

/** `token create|list|revoke`: bearer tokens of the push API (CLI only). */
export async function token(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const tokens = deps.store.tokens;
  const action = (command.args.action as string).toLowerCase();
  const now = deps.clock();
  const entry = (action: string, details: Record<string, unknown>) => ({
    actor: invocation.actor,
    action,
    details,
    at: now,
  });

  if (action === 'create') {
    const name = command.args.name;
    if (!name || !NAME.test(name))
      throw new CommandError(
        'usage',
        'token create needs a name starting with a letter: letters, digits, . _ - (for example ci-metrics)',
      );
    const scope =
      typeof command.options.roadmaps === 'string'
        ? command.options.roadmaps
            .split(',')
            .map((r) => r.trim())
            .filter(Boolean)
        : [];
    if (scope.length === 0)
      throw new CommandError(
        'usage',
        'token create needs --roadmaps <id,id> (or --roadmaps "*" for every roadmap)',
      );
    const unknown = scope.filter((id) => id !== '*' && !deps.registry.get(id));
    if (unknown.length > 0)
      throw new CommandError('invalid', `roadmaps: not loaded: ${unknown.join(', ')}`);
    const taken = (await tokens.list()).some((t) => t.name === name);
    if (taken)
      throw new CommandError(
        'conflict',
        `a token named "${name}" exists; revoke it or pick another name`,
      );
    // With its audit row in one transaction: no token exists that the audit log does not show.
    const created = await deps.store.transaction(async (tx) => {
      const made = await tx.tokens.create(name, scope, actorName(invocation.actor), now);
      await tx.audit.record(entry('token-create', { token: made.id, name, roadmaps: scope }));
      return made;
    });
    const message: Message = {
      title: `Token "${name}" created for ${scope.join(', ')}`,
      tone: 'ok',
      sections: [
        {
          lines: [
            { text: created.token },
            {
              icon: 'info',
              text: 'Shown once: store it now (only its hash is kept). Send it as "Authorization: Bearer <token>".',
            },
          ],
        },
      ],
      fallback: `Token ${name} created`,
    };
    // The CLI prints `json` instead of the message when there is one: only with --json.
    return {
      message,
      ...(command.options.json
        ? { json: { id: created.id, name, token: created.token, roadmaps: scope } }
        : {}),
      exitCode: 0,
    };
  }
  if (action === 'list') {
    const all = await tokens.list();
    const message: Message = {
      title: `API tokens: ${all.filter((t) => !t.revokedAt).length} live`,
      tone: 'info',
      sections: [
        {
          lines:
            all.length === 0
              ? [{ text: 'No tokens yet: roadmap token create <name> --roadmaps <id>' }]
              : all.map((t) => ({
                  icon: t.revokedAt ? ('missed' as const) : ('ok' as const),
                  text: `#${t.id} ${t.name} (${t.prefix}…) → ${t.roadmaps.join(', ')}`,
                  detail: [
                    `created ${formatDateTime(t.createdAt, 'UTC')} UTC by ${t.createdBy}`,
                    t.lastUsedAt
                      ? `last used ${formatDateTime(t.lastUsedAt, 'UTC')} UTC`
                      : 'never used',
                    t.revokedAt ? `revoked ${formatDateTime(t.revokedAt, 'UTC')} UTC` : undefined,
                  ]
                    .filter(Boolean)
                    .join(' · '),
                })),
        },
      ],
      fallback: `${all.length} tokens`,
    };
    return { message, exitCode: 0 };
  }
  if (action === 'revoke') {
    const which = command.args.name;
    if (!which) throw new CommandError('usage', 'token revoke needs the token name or id');
    await deps.store.transaction(async (tx) => {
      if (!(await tx.tokens.revoke(which, now)))
        throw new CommandError('not_found', `no live token "${which}"`);
      await tx.audit.record(entry('token-revoke', { token: which }));
    });
    return {
      message: {
        title: `Token "${which}" revoked`,
        tone: 'ok',
        sections: [],
        fallback: `Token ${which} revoked`,
      },
      exitCode: 0,
    };
  }
  throw new CommandError(
    'usage',
    `expected token create, token list or token revoke, got "token ${action}"`,
  );
}
