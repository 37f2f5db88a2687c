import { readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { AppDeps, Invocation, Reply } from '../../app/context.js';
import { exitCodeOf, isCodedError } from '../../app/errors.js';
import { readRoadmapFile, RoadmapRegistry } from '../../app/registry.js';
import { replyForError, runFromTerminal } from '../../app/run.js';
import type { Terminal } from '../../app/terminal.js';
import { readConfig, type Config } from '../../config.js';
import { renderText } from '../../core/messages/text.js';
import { formatProblem } from '../../core/roadmap/load.js';
import { chartRenderer } from '../charts/renderer.js';
import { CHART_HEIGHT, CHART_WIDTH } from '../charts/spec.js';
import { registerCommands } from '../discord/register.js';
import { connectDatabase, type Database } from '../pg/connect.js';
import { migrate } from '../pg/migrate.js';
import { createPool } from '../pg/pool.js';
import { pgStore } from '../pg/store.js';

/**
 * The `roadmap` command: a composition root. Every command goes through the app's command
 * layer (`runFromTerminal`); this file only wires the database and what a terminal can do.
 */

interface Session {
  deps: AppDeps;
  close(): Promise<void>;
}

/** The pool and the roadmaps over a migrated database, for commands that read or write it. */
async function openSession(config: Config, db: Database): Promise<Session> {
  await migrate(db.url);
  const pool = createPool(db.url, { max: 4, applicationName: 'roadmap-cli' });
  const registry = new RoadmapRegistry(config.roadmapsDir);
  const statuses = await registry.reload();
  for (const s of statuses) for (const p of s.errors) console.error(formatProblem(p));
  return {
    deps: {
      store: pgStore(pool),
      registry,
      clock: () => new Date(),
    },
    close: () => pool.end(),
  };
}

/** What the terminal gives the commands that exist only there (files, migrations, Discord). */
function terminalFor(config: Config, connect: () => Promise<Database>): Terminal {
  return {
    roadmapsDir: config.roadmapsDir,
    kindOf: async (where) => {
      const info = await stat(where).catch(() => undefined);
      return info ? (info.isDirectory() ? 'folder' : 'file') : undefined;
    },
    readText: (file) => readFile(file, 'utf8'),
    readRoadmapText: (file) => readRoadmapFile(file),
    writeFile: (file, bytes) => writeFile(file, bytes),
    // Only the database: `roadmap migrate` migrates once and loads no roadmaps.
    migrate: async () => migrate((await connect()).url),
    registerDiscord: (guildId) => registerCommands(config, guildId ? { guildId } : {}),
    charts: { render: chartRenderer, width: CHART_WIDTH, height: CHART_HEIGHT },
  };
}

async function run(argv: string[]): Promise<Reply> {
  const config = readConfig();
  // `-o file` is the short form of --output (as in `roadmap chart users -o users.png`).
  const words = (argv.length === 0 ? ['help'] : argv).map((w) => (w === '-o' ? '--output' : w));
  // Opened on first use: `validate` and `discord register` need no database.
  let database: Promise<Database> | undefined;
  const connect = () =>
    (database ??= connectDatabase({
      ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}),
      dataDir: config.dataDir,
    }));
  let session: Promise<Session> | undefined;
  const open = async () => (session ??= connect().then((db) => openSession(config, db)));
  const invocation: Invocation = {
    actor: { platform: 'cli', id: config.ROADMAP_ACTOR ?? os.userInfo().username },
    isAdmin: true,
  };
  try {
    return await runFromTerminal(
      async () => (await open()).deps,
      invocation,
      words,
      terminalFor(config, connect),
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
