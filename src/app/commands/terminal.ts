import path from 'node:path';
import type { ParsedCommand } from '../../core/commands/parse.js';
import { infoMessage } from '../../core/messages/compose.js';
import { formatProblem } from '../../core/roadmap/load.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { CommandError } from '../errors.js';
import { evaluateAt, FORECAST_BUCKET_MS, resolveRoadmap } from '../evaluate.js';
import { importCsv, unreadable } from '../import-csv.js';
import { loadRead, RoadmapRegistry } from '../registry.js';
import type { Terminal } from '../terminal.js';
import { nowFrom } from './values.js';

/**
 * The commands that exist only in a terminal (`platforms: ['cli']`). What they need from the
 * machine (files, migrations, Discord's API, a chart renderer) comes in as the `Terminal`.
 */

/** The terminal, which only the CLI entry passes (`runCommand` on 'cli' has none: as from chat). */
export function terminalOf(surface: { terminal?: Terminal }, command: string): Terminal {
  if (!surface.terminal)
    throw new CommandError('usage', `"${command}" is only available from the command line`);
  return surface.terminal;
}

/**
 * `roadmap validate [path...]`: every problem of every file or folder given (a shell's
 * `roadmaps/*.yaml` too, as `promtool check rules` takes them); no database needed. Exit 1
 * when any file has errors or a path does not exist.
 */
export async function validate(terminal: Terminal, targets: readonly string[]): Promise<Reply> {
  const lines: string[] = [];
  let bad = 0;
  let good = 0;
  for (const target of targets.length > 0 ? targets : [terminal.roadmapsDir]) {
    const where = path.resolve(target);
    const kind = await terminal.kindOf(where);
    if (!kind) {
      // One missing path does not stop the others from being checked.
      lines.push(`${target}: no such file or folder`);
      bad++;
      continue;
    }
    if (kind === 'folder') {
      const statuses = await new RoadmapRegistry(where).reload();
      for (const s of statuses) {
        lines.push(...[...s.errors, ...s.warnings].map(formatProblem));
        if (s.errors.length > 0) bad++;
        else good++;
      }
      continue;
    }
    // A file over the size limit is refused unread, as in a folder.
    const read = await terminal.readRoadmapText(where);
    const result = await loadRead(read, path.relative(process.cwd(), where));
    lines.push(
      ...(result.ok ? [] : result.errors).map(formatProblem),
      ...result.warnings.map(formatProblem),
    );
    if (result.ok) good++;
    else bad++;
  }
  const title =
    bad === 0
      ? `✅ ${good} roadmap file${good === 1 ? '' : 's'} valid`
      : `⛔ ${bad} file${bad === 1 ? '' : 's'} with errors, ${good} valid`;
  return {
    message: {
      ...infoMessage(title),
      tone: bad === 0 ? 'ok' : 'error',
      sections: lines.length > 0 ? [{ lines: lines.map((text) => ({ text })) }] : [],
    },
    exitCode: bad === 0 ? 0 : 1,
  };
}

/** `roadmap discord register [--guild id]`: no database needed. */
export async function discord(terminal: Terminal, command: ParsedCommand): Promise<Reply> {
  const { args, options } = command;
  if (args.action !== 'register')
    throw new CommandError(
      'usage',
      `expected "discord register [--guild <id>]", got "discord ${args.action}"`,
    );
  const guild = typeof options.guild === 'string' ? options.guild : undefined;
  let done: Awaited<ReturnType<Terminal['registerDiscord']>>;
  try {
    done = await terminal.registerDiscord(guild);
  } catch (error) {
    // Missing credentials or Discord's refusal: its own words say what to fix.
    throw new CommandError('invalid', (error as Error).message);
  }
  return {
    message: infoMessage(
      `✅ /roadmap (${done.subcommands} subcommands) registered ${done.scope === 'guild' ? `on server ${guild}` : 'globally (it can take up to an hour to appear everywhere)'}`,
    ),
    exitCode: 0,
  };
}

/** `roadmap migrate`: applies pending migrations. */
export async function migrate(terminal: Terminal): Promise<Reply> {
  await terminal.migrate();
  return { message: infoMessage('✅ database migrations are up to date'), exitCode: 0 };
}

/** `roadmap import <file.csv> [--roadmap id]`: all or nothing, every bad line listed. */
export async function importFile(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
  terminal: Terminal,
): Promise<Reply> {
  const file = command.args.file as string;
  const named = command.options.roadmap;
  const text = await terminal.readText(file).catch((error: unknown) => {
    throw unreadable(file, error);
  });
  const roadmap =
    typeof named === 'string'
      ? deps.registry.get(named)
      : deps.registry.list().length === 1
        ? deps.registry.list()[0]
        : undefined;
  if (typeof named === 'string' && !roadmap)
    throw new CommandError('not_found', `no roadmap "${named}" is loaded`);
  const result = await importCsv(deps, invocation, file, text, roadmap);
  return {
    message: infoMessage(
      `✅ imported ${result.points} points from ${file} (${result.written} new or changed)`,
    ),
    exitCode: 0,
  };
}

/** `roadmap chart <metric> [-o file.png]`: renders the chart the chat shows, to a file. */
export async function chart(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
  terminal: Terminal,
): Promise<Reply> {
  const { args, options } = command;
  const metricName = args.metric as string;
  const roadmap = resolveRoadmap(deps, invocation, options.roadmap);
  if (!roadmap.metrics.has(metricName))
    throw new CommandError('not_found', `no metric "${metricName}" in ${roadmap.id}`);
  const now = nowFrom(options.now, roadmap.timezone, deps.clock());
  const report = await evaluateAt(deps, roadmap, now);
  const histories = await deps.store.points.forecastHistories(
    roadmap.id,
    [metricName],
    roadmap.forecastWindowMs,
    FORECAST_BUCKET_MS,
    now,
  );
  const { render, width, height } = terminal.charts;
  const png = await render(report, metricName, histories.get(metricName) ?? [], {
    usersMetric: roadmap.usersMetric,
    windowMs: roadmap.forecastWindowMs,
    roadmap,
  });
  const file = typeof options.output === 'string' ? options.output : `${metricName}.png`;
  await terminal.writeFile(file, png);
  return { message: infoMessage(`✅ wrote ${file} (${width}×${height})`), exitCode: 0 };
}
