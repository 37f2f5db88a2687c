import type { ParsedCommand } from '../../core/commands/parse.js';
import {
  availableOn,
  COMMANDS,
  findCommand,
  usageOf,
  type Platform,
} from '../../core/commands/table.js';
import type { Message } from '../../core/messages/model.js';
import type { Reply } from '../context.js';
import { CommandError } from '../errors.js';

/** `help [command]`: generated from the command table. */
export function help(platform: Platform, command: ParsedCommand): Reply {
  const visible = COMMANDS.filter((c) => availableOn(c, platform));
  const name = command.args.command;
  if (name !== undefined) {
    const spec = findCommand(name);
    if (!spec || !visible.includes(spec))
      throw new CommandError(
        'usage',
        `no command "${name}"; commands: ${visible.map((c) => c.name).join(', ')}`,
      );
    const message: Message = {
      title: usageOf(spec),
      tone: 'info',
      sections: [
        {
          lines: [
            { text: spec.summary + (spec.mutates ? ' (admins only in chat)' : '') },
            ...spec.args.map((a) => ({ text: `<${a.name}>: ${a.description}` })),
            ...spec.options.map((o) => ({ text: `--${o.name}: ${o.description}` })),
          ],
        },
      ],
      fallback: usageOf(spec),
    };
    return { message, exitCode: 0 };
  }
  return {
    message: {
      title: 'roadmap commands',
      tone: 'info',
      sections: [{ lines: visible.map((c) => ({ text: usageOf(c), detail: c.summary })) }],
      fallback: 'roadmap commands',
    },
    exitCode: 0,
  };
}
