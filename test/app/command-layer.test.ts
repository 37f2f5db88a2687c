import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { completionCandidates } from '../../src/app/completions.js';
import type { AppDeps } from '../../src/app/context.js';
import { asCodedError, CommandError, ERROR_CODES, isCodedError } from '../../src/app/errors.js';
import {
  HANDLERS,
  runCommand,
  runFromTerminal,
  type Handler,
  type Handlers,
} from '../../src/app/run.js';
import type { Terminal } from '../../src/app/terminal.js';
import { COMMANDS } from '../../src/core/commands/table.js';
import { renderText } from '../../src/core/messages/text.js';
import { admin, appWith, reader, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { ROADMAPS_DIR } from '../support/roadmaps.js';

/**
 * One command layer with no side doors: every command of the table, the CLI-only ones
 * included, has its handler in one typed map and runs through the same dispatch.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
let app: AppDeps;

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('oviya'), clock);
});

/** A terminal over an in-memory file system, recording what the commands did with it. */
function fakeTerminal(files: Record<string, string> = {}) {
  const written = new Map<string, Buffer>();
  const calls: string[] = [];
  const terminal: Terminal = {
    roadmapsDir: ROADMAPS_DIR,
    kindOf: async (where) => (path.basename(where) in files ? 'file' : undefined),
    readText: async (file) => {
      const text = files[path.basename(file)];
      if (text === undefined)
        throw Object.assign(new Error(`ENOENT: no such file, open '${file}'`), { code: 'ENOENT' });
      return text;
    },
    readRoadmapText: async (file) => {
      const text = files[path.basename(file)];
      return text === undefined
        ? { ok: false, message: `cannot read file: ENOENT: no such file, open '${file}'` }
        : { ok: true, text };
    },
    writeFile: async (file, bytes) => {
      written.set(file, bytes);
    },
    migrate: async () => {
      calls.push('migrate');
      return [];
    },
    registerDiscord: async (guildId) => {
      calls.push(`register ${guildId ?? 'global'}`);
      return { subcommands: 18, scope: guildId ? 'guild' : 'global' };
    },
    charts: { render: async () => Buffer.from('png'), width: 800, height: 400 },
  };
  return { terminal, written, calls };
}

const noDatabase = async (): Promise<AppDeps> => {
  throw new Error('this command should not open the database');
};

describe('the handler map', () => {
  it('has exactly one handler per command of the table', () => {
    expect(Object.keys(HANDLERS).sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });

  it('is checked by the compiler: a missing or an extra handler fails the type-check', () => {
    const { status: _status, ...withoutStatus } = HANDLERS;
    // @ts-expect-error: the table's "status" has no handler
    const missing: Handlers = withoutStatus;
    const stray: Handler = async () => {
      throw new Error('never run');
    };
    // @ts-expect-error: "frobnicate" is no command of the table
    const extra: Handlers = { ...HANDLERS, frobnicate: stray };
    expect([missing, extra]).toHaveLength(2);
  });
});

describe('CLI-only commands run through the command layer with the terminal injected', () => {
  it('validate reads through the terminal and opens no database', async () => {
    const { terminal } = fakeTerminal({ 'bad.yaml': 'id: Bad\n' });
    const bad = await runFromTerminal(noDatabase, admin, ['validate', 'bad.yaml'], terminal);
    expect(bad.exitCode).toBe(1);
    expect(renderText(bad.message)).toMatch(/bad\.yaml:1:\d+: id: expected a slug/);
    const missing = await runFromTerminal(noDatabase, admin, ['validate', 'gone.yaml'], terminal);
    expect(renderText(missing.message)).toMatch(/gone\.yaml: no such file or folder/);
  });

  it('discord register goes to the terminal, without a database; a wrong action is a usage error', async () => {
    const { terminal, calls } = fakeTerminal();
    const done = await runFromTerminal(
      noDatabase,
      admin,
      ['discord', 'register', '--guild', '42'],
      terminal,
    );
    expect(done.exitCode).toBe(0);
    expect(done.message.title).toMatch(/18 subcommands\) registered on server 42/);
    expect(calls).toEqual(['register 42']);
    const wrong = await runFromTerminal(noDatabase, admin, ['discord', 'unregister'], terminal);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.error?.code).toBe('usage');
  });

  it('import reads the file through the terminal and writes all points', async () => {
    const { terminal } = fakeTerminal({
      'points.csv': 'metric,value,at\nactive_users,5,2026-03-01T00:00:00Z\n',
    });
    const open = async () => app;
    const reply = await runFromTerminal(open, admin, ['import', 'points.csv'], terminal);
    expect(reply.exitCode).toBe(0);
    expect(reply.message.title).toMatch(/imported 1 points from points\.csv \(1 new or changed\)/);
    const gone = await runFromTerminal(open, admin, ['import', 'gone.csv'], terminal);
    expect(gone).toMatchObject({ exitCode: 1, error: { code: 'not_found' } });
    expect(gone.message.title).toBe('cannot read gone.csv (ENOENT)');
  });

  it('chart renders with the terminal renderer and writes the file through it', async () => {
    const { terminal, written } = fakeTerminal();
    const reply = await runFromTerminal(
      async () => app,
      admin,
      ['chart', 'active_users', '--output', 'u.png'],
      terminal,
    );
    expect(reply.message.title).toBe('✅ wrote u.png (800×400)');
    expect(written.get('u.png')?.toString()).toBe('png');
  });

  it('migrate asks the terminal to migrate', async () => {
    const { terminal, calls } = fakeTerminal();
    const reply = await runFromTerminal(async () => app, admin, ['migrate'], terminal);
    expect(reply.message.title).toMatch(/up to date/);
    expect(calls).toEqual(['migrate']);
  });

  it('from chat, or without a terminal, they are refused as before, reading nothing', async () => {
    for (const line of ['import x.csv', 'validate', 'discord register', 'migrate', 'chart users']) {
      for (const reply of [
        await runCommand(app, { ...reader, isAdmin: true }, line, 'chat'),
        await runCommand(app, admin, line, 'cli'),
      ]) {
        expect(reply.exitCode).toBe(2);
        expect(reply.message.title).toMatch(/only available from the command line/);
      }
    }
  });
});

describe('coded errors', () => {
  it('a reply carries its error, the usage line apart from the message', async () => {
    const reply = await runCommand(app, admin, 'record active_users', 'cli');
    expect(reply.error).toMatchObject({ code: 'usage', usage: expect.stringMatching(/^record /) });
    expect(renderText(reply.message)).toMatch(/usage: record <metric> <value>/);
  });

  it('anything unexpected is internal; coded errors stay as they are', () => {
    const coded = new CommandError('conflict', 'no');
    expect(asCodedError(coded)).toBe(coded);
    const bug = asCodedError(new TypeError('x is undefined'));
    expect(isCodedError(bug)).toBe(true);
    expect(bug.code).toBe('internal');
    expect(Object.keys(ERROR_CODES)).toContain(bug.code);
  });
});

describe('autocomplete candidates come from the app', () => {
  it('offers chat commands only, and the bound roadmap when none is named', async () => {
    const commands = await completionCandidates(app, {
      completion: 'command',
      mutates: false,
      platform: 'discord',
    });
    expect(commands.map((c) => c.value)).toContain('status');
    expect(commands.map((c) => c.value)).not.toContain('import');
    const flags = await completionCandidates(app, {
      completion: 'metric',
      mutates: true,
      roadmap: 'oviya',
      platform: 'discord',
    });
    expect(flags.length).toBeGreaterThan(0);
    expect(flags.map((c) => c.value)).toContain('active_users');
  });

  it("offers the roadmap's track ids, and every step while the track named is none of them", async () => {
    // From the loaded file, whatever tracks the seed has (none in a v1 file: no error, no candidates).
    const oviya = app.registry.get('oviya');
    const candidates = (completion: 'track' | 'step') =>
      completionCandidates(app, {
        completion,
        mutates: true,
        roadmap: 'oviya',
        track: 'no-such-track',
        platform: 'discord',
      });
    expect((await candidates('track')).map((c) => c.value)).toEqual(oviya?.tracks.map((t) => t.id));
    expect((await candidates('step')).map((c) => c.value)).toEqual(
      oviya?.tracks.flatMap((t) => t.steps.map((s) => s.id)),
    );
  });
});
