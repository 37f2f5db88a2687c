import { readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { AppDeps, Invocation, Reply } from '../../app/context.js';
import { exitCodeOf, isCodedError } from '../../app/errors.js';
import { replyForError, runFromTerminal } from '../../app/run.js';
import type { Terminal } from '../../app/terminal.js';
import type { Config } from '../../config.js';
import { parseCommand } from '../../core/commands/parse.js';
import { renderText } from '../../core/messages/text.js';
import { chartRenderer } from '../charts/renderer.js';
import { CHART_HEIGHT, CHART_WIDTH } from '../charts/spec.js';
import type { Database } from '../pg/connect.js';

/**
 * The `roadmap` command: a composition root. Every command goes through the app's command
 * layer (`runFromTerminal`); this file only wires the database and what a terminal can do.
 *
 * Start-up time is the CLI's latency (`roadmap help` should answer at once), so what only some
 * commands use is imported when they first use it: PostgreSQL, migrations and the roadmap
 * loader for commands that read or write the database (the loader only for a roadmap file
 * that is not in the cache, ./roadmap-cache.ts), Discord's REST client for
 * `discord register` (vega is loaded by the chart renderer with the first chart). The command
 * handlers load with their command (src/app/run.ts), and the configuration (zod) is read only
 * by commands that use it.
 */

interface Session {
  deps: AppDeps;
  close(): Promise<void>;
}

/** The pool and the roadmaps over a migrated database, for commands that read or write it. */
async function openSession(config: Config, db: Database): Promise<Session> {
  const [{ createPool }, { migrate, migrationsUpToDate }] = await Promise.all([
    import('../pg/pool.js'),
    import('../pg/migrate.js'),
  ]);
  // One connection: a command runs a few statements, and each further backend would pay its
  // own start and catalog caches (about 35 ms of a `status` at the bench's scale).
  const pool = createPool(db.url, { max: 1, applicationName: 'roadmap-cli' });
  try {
    // One query when nothing is pending (the usual case); the full migration, with its lock,
    // only when something is. It starts before the rest of the code loads, so connecting
    // overlaps loading. The roadmaps load meanwhile: they need no database, and a file loaded
    // by a former command, unchanged since, comes from the cache (./roadmap-cache.ts) without
    // even loading the roadmap loader's code.
    const checked = migrationsUpToDate(pool);
    checked.catch(() => undefined); // awaited below; not unhandled while the code loads
    const [
      { pgStore },
      registryModule,
      { buildId, defaultCacheDir, roadmapCache },
      { webSettings },
    ] = await Promise.all([
      import('../pg/store.js'),
      import('../../app/registry.js'),
      import('./roadmap-cache.js'),
      import('../../config.js'),
    ]);
    const registry = new registryModule.RoadmapRegistry(
      config.roadmapsDir,
      undefined,
      roadmapCache(buildId(), defaultCacheDir()),
    );
    const [upToDate, statuses] = await Promise.all([checked, registry.reload()]);
    if (!upToDate) await migrate(db.url);
    const errors = statuses.flatMap((s) => s.errors);
    if (errors.length > 0) {
      const { formatProblem } = await import('../../core/roadmap/load.js');
      for (const p of errors) console.error(formatProblem(p));
    }
    return {
      deps: {
        store: pgStore(pool),
        registry,
        clock: () => new Date(),
        web: webSettings(config),
      },
      close: () => pool.end(),
    };
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error;
  }
}

/**
 * What the terminal gives the commands that exist only there (files, migrations, Discord).
 * `settings` is called only when a command uses what the configuration says.
 */
function terminalFor(settings: () => Config, connect: () => Promise<Database>): Terminal {
  return {
    get roadmapsDir() {
      return settings().roadmapsDir;
    },
    kindOf: async (where) => {
      const info = await stat(where).catch(() => undefined);
      return info ? (info.isDirectory() ? 'folder' : 'file') : undefined;
    },
    readText: (file) => readFile(file, 'utf8'),
    readRoadmapText: async (file) => (await import('../../app/registry.js')).readRoadmapFile(file),
    writeFile: (file, bytes) => writeFile(file, bytes),
    // Only the database: `roadmap migrate` migrates once and loads no roadmaps.
    migrate: async () => (await import('../pg/migrate.js')).migrate((await connect()).url),
    registerDiscord: async (guildId) =>
      (await import('../discord/register.js')).registerCommands(
        settings(),
        guildId ? { guildId } : {},
      ),
    charts: { render: chartRenderer, width: CHART_WIDTH, height: CHART_HEIGHT },
  };
}

/** `help`, and a command line that does not parse, answer from the command table alone. */
function answersFromTable(words: string[]): boolean {
  const parsed = parseCommand(words);
  return !parsed.ok || parsed.command.spec.name === 'help';
}

async function run(argv: string[]): Promise<Reply> {
  // `-o file` is the short form of --output (as in `roadmap chart users -o users.png`).
  const words = (argv.length === 0 ? ['help'] : argv).map((w) => (w === '-o' ? '--output' : w));
  // Read, and checked, before anything else, except where nothing of it is used: `roadmap help`
  // then loads neither zod nor the condition grammar, and answers even with a bad setting.
  const config = answersFromTable(words)
    ? undefined
    : (await import('../../config.js')).readConfig();
  const settings = (): Config => {
    if (!config) throw new Error('the configuration was not read for this command');
    return config;
  };
  // Opened on first use: `validate` and `discord register` need no database.
  let database: Promise<Database> | undefined;
  const connect = () =>
    (database ??= import('../pg/connect.js').then(({ connectDatabase }) =>
      connectDatabase({
        ...(settings().DATABASE_URL ? { databaseUrl: settings().DATABASE_URL } : {}),
        dataDir: settings().dataDir,
      }),
    ));
  let session: Promise<Session> | undefined;
  const open = async () => (session ??= connect().then((db) => openSession(settings(), db)));
  const invocation: Invocation = {
    actor: { platform: 'cli', id: config?.ROADMAP_ACTOR ?? os.userInfo().username },
    isAdmin: true,
  };
  try {
    return await runFromTerminal(
      async () => (await open()).deps,
      invocation,
      words,
      terminalFor(settings, connect),
    );
  } finally {
    await (await session?.catch(() => undefined))?.close();
    await (await database?.catch(() => undefined))?.close();
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
    // The command layer answers expected failures as replies; this is for the unexpected.
    if (isCodedError(error)) {
      process.stderr.write(`${renderText(replyForError(error).message)}\n`);
      process.exitCode = exitCodeOf(error.code);
      return;
    }
    process.stderr.write(`roadmap: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
