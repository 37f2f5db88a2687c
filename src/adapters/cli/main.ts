import { readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { importCsv, unreadable } from '../../app/import-csv.js';
import { RoadmapRegistry } from '../../app/registry.js';
import { replyForError, runCommand } from '../../app/run.js';
import { CommandError, exitCodeOf, isCommandError } from '../../app/errors.js';
import type { AppDeps, Invocation, Reply } from '../../app/context.js';
import { readConfig, type Config } from '../../config.js';
import { parseCommand } from '../../core/commands/parse.js';
import { infoMessage } from '../../core/messages/compose.js';
import { renderText } from '../../core/messages/text.js';
import { formatProblem, loadRoadmap } from '../../core/roadmap/load.js';
import { registerCommands } from '../discord/register.js';
import { chartRenderer } from '../charts/renderer.js';
import { CHART_HEIGHT, CHART_WIDTH } from '../charts/spec.js';
import { evaluateAt, FORECAST_BUCKET_MS, resolveRoadmap } from '../../app/evaluate.js';
import { nowFrom } from '../../app/commands/values.js';
import { connectDatabase, type Database } from '../pg/connect.js';
import { migrate } from '../pg/migrate.js';
import { createPool } from '../pg/pool.js';
import { OutboxStore } from '../pg/outbox.js';
import { PgStore } from '../pg/store.js';

/**
 * `roadmap validate [path...]`: every problem of every file or folder given (a shell's
 * `roadmaps/*.yaml` too, as `promtool check rules` takes them); no database needed. Exit 1
 * when any file has errors or a path does not exist.
 */
async function validate(config: Config, targets: string[]): Promise<Reply> {
  const lines: string[] = [];
  let bad = 0;
  let good = 0;
  for (const target of targets.length > 0 ? targets : [config.roadmapsDir]) {
    const where = path.resolve(target);
    const info = await stat(where).catch(() => undefined);
    if (!info) {
      // One missing path does not stop the others from being checked.
      lines.push(`${target}: no such file or folder`);
      bad++;
      continue;
    }
    if (info.isDirectory()) {
      const statuses = await new RoadmapRegistry(where).reload();
      for (const s of statuses) {
        lines.push(...[...s.errors, ...s.warnings].map(formatProblem));
        if (s.errors.length > 0) bad++;
        else good++;
      }
      continue;
    }
    const text = await readFile(where, 'utf8').catch((error: Error) => error);
    if (text instanceof Error) {
      lines.push(`${target}: cannot be read (${text.message})`);
      bad++;
      continue;
    }
    const result = loadRoadmap(path.relative(process.cwd(), where), text);
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

interface Session {
  deps: AppDeps;
  db: Database;
  close(): Promise<void>;
}

async function openSession(config: Config): Promise<Session> {
  const db = await connectDatabase({
    ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}),
    dataDir: config.dataDir,
  });
  await migrate(db.url);
  const pool = createPool(db.url, { max: 4, applicationName: 'roadmap-cli' });
  const registry = new RoadmapRegistry(config.roadmapsDir);
  const statuses = await registry.reload();
  for (const s of statuses) for (const p of s.errors) console.error(formatProblem(p));
  return {
    deps: {
      store: new PgStore(pool),
      outbox: new OutboxStore(pool),
      registry,
      clock: () => new Date(),
    },
    db,
    close: async () => {
      await pool.end();
      await db.close();
    },
  };
}

/** `roadmap chart <metric> [-o file.png]`: renders the chart the chat shows, to a file. */
async function chart(
  session: Session,
  invocation: Invocation,
  metricName: string,
  options: Record<string, string | true>,
): Promise<Reply> {
  const roadmap = resolveRoadmap(session.deps, invocation, options.roadmap);
  if (!roadmap.metrics.has(metricName))
    throw new CommandError('not_found', `no metric "${metricName}" in ${roadmap.id}`);
  const now = nowFrom(options.now, roadmap.timezone, session.deps.clock());
  const report = await evaluateAt(session.deps, roadmap, now);
  const histories = await session.deps.store.forecastHistories(
    roadmap.id,
    [metricName],
    roadmap.forecastWindowMs,
    FORECAST_BUCKET_MS,
    now,
  );
  const png = await chartRenderer(report, metricName, histories.get(metricName) ?? [], {
    usersMetric: roadmap.usersMetric,
    windowMs: roadmap.forecastWindowMs,
  });
  const file = typeof options.output === 'string' ? options.output : `${metricName}.png`;
  await writeFile(file, png);
  return { message: infoMessage(`✅ wrote ${file} (${CHART_WIDTH}×${CHART_HEIGHT})`), exitCode: 0 };
}

async function run(argv: string[]): Promise<Reply> {
  const config = readConfig();
  // `-o file` is the short form of --output (as in `roadmap chart users -o users.png`).
  const words = (argv.length === 0 ? ['help'] : argv).map((w) => (w === '-o' ? '--output' : w));
  const parsed = parseCommand(words);
  if (!parsed.ok)
    return replyForError(
      new CommandError('usage', parsed.error, parsed.usage ? [`usage: ${parsed.usage}`] : []),
    );
  const { spec, args, options } = parsed.command;
  if (spec.name === 'validate') return validate(config, parsed.command.rest ?? []);
  if (spec.name === 'discord') {
    if (args.action !== 'register')
      throw new CommandError(
        'usage',
        `expected "discord register [--guild <id>]", got "discord ${args.action}"`,
      );
    const guild = typeof options.guild === 'string' ? options.guild : undefined;
    try {
      const done = await registerCommands(config, guild ? { guildId: guild } : {});
      return {
        message: infoMessage(
          `✅ /roadmap (${done.subcommands} subcommands) registered ${done.scope === 'guild' ? `on server ${guild}` : 'globally (it can take up to an hour to appear everywhere)'}`,
        ),
        exitCode: 0,
      };
    } catch (error) {
      throw new CommandError('invalid', (error as Error).message);
    }
  }

  const session = await openSession(config);
  const invocation: Invocation = {
    actor: { platform: 'cli', id: config.ROADMAP_ACTOR ?? os.userInfo().username },
    isAdmin: true,
  };
  try {
    if (spec.name === 'chart')
      return await chart(session, invocation, args.metric as string, options);
    if (spec.name === 'migrate')
      return { message: infoMessage('✅ database migrations are up to date'), exitCode: 0 };
    if (spec.name === 'import') {
      const file = args.file as string;
      const text = await readFile(file, 'utf8').catch((error: unknown) => {
        throw unreadable(file, error);
      });
      const roadmap =
        typeof options.roadmap === 'string'
          ? session.deps.registry.get(options.roadmap)
          : session.deps.registry.list().length === 1
            ? session.deps.registry.list()[0]
            : undefined;
      if (typeof options.roadmap === 'string' && !roadmap)
        throw new CommandError('not_found', `no roadmap "${options.roadmap}" is loaded`);
      const result = await importCsv(session.deps, invocation, file, text, roadmap);
      return {
        message: infoMessage(
          `✅ imported ${result.points} points from ${file} (${result.written} new or changed)`,
        ),
        exitCode: 0,
      };
    }
    return await runCommand(session.deps, invocation, words, 'cli');
  } finally {
    await session.close();
  }
}

run(process.argv.slice(2))
  .then((reply) => {
    if (reply.json !== undefined) process.stdout.write(`${JSON.stringify(reply.json, null, 2)}\n`);
    else
      (reply.exitCode === 0 ? process.stdout : process.stderr).write(
        `${renderText(reply.message)}\n`,
      );
    process.exitCode = reply.exitCode;
  })
  .catch((error: unknown) => {
    if (isCommandError(error)) {
      process.stderr.write(`${renderText(replyForError(error).message)}\n`);
      process.exitCode = exitCodeOf(error.code);
      return;
    }
    process.stderr.write(`roadmap: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
