import type { ParsedCommand } from '../../core/commands/parse.js';
import type { Platform } from '../../core/commands/table.js';
import { infoMessage, statusMessage } from '../../core/messages/compose.js';
import { statusJson } from '../../core/messages/status-json.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { evaluateWithForecast, resolveRoadmap } from '../evaluate.js';
import { openButton } from './link.js';
import { nowFrom } from './values.js';

/** `status [--json] [--now time]`: where the team stands, as of now or a past moment. */
export async function status(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
  surface?: { platform: Platform },
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const clockNow = deps.clock();
  const now = nowFrom(command.options.now, roadmap.timezone, clockNow);
  const report = await evaluateWithForecast(deps, roadmap, now);
  // The terminal prints only the document under --json (chat shows both): the message, a
  // twentieth of a cold `roadmap status --json`'s work, is not composed for it.
  const jsonOnly = command.options.json === true && surface?.platform === 'cli';
  const message = jsonOnly ? infoMessage(roadmap.name) : statusMessage(report);
  // "Open in browser" opens the live page: not under a replay (`--now`), which it would not
  // show, nor under --json, whose answer is the document.
  const asked = command.options.now;
  const replay = typeof asked === 'string' && asked.toLowerCase() !== 'now';
  const open =
    command.options.json || replay ? undefined : openButton(deps.web, roadmap.id, clockNow);
  return {
    message: open ? { ...message, links: [open] } : message,
    ...(command.options.json ? { json: statusJson(report) } : {}),
    exitCode: 0,
    public: command.options.public === true,
  };
}
