import type { ParsedCommand } from '../../core/commands/parse.js';
import { statusMessage } from '../../core/messages/compose.js';
import { statusJson } from '../../core/messages/status-json.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { evaluateWithForecast, resolveRoadmap } from '../evaluate.js';
import { nowFrom } from './values.js';

/** `status [--json] [--now time]`: where the team stands, as of now or a past moment. */
export async function status(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const now = nowFrom(command.options.now, roadmap.timezone, deps.clock());
  const report = await evaluateWithForecast(deps, roadmap, now);
  return {
    message: statusMessage(report),
    ...(command.options.json ? { json: statusJson(report) } : {}),
    exitCode: 0,
    public: command.options.public === true,
  };
}
