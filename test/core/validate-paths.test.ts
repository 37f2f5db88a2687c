import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/core/commands/parse.js';
import { COMMANDS, usageOf } from '../../src/core/commands/table.js';
import { ROADMAPS_DIR } from '../support/roadmaps.js';
import { cli } from '../support/spawn.js';

/* `roadmap validate` takes several paths, as `promtool check rules` does: roadmaps/*.yaml. */

describe('validate in the command table', () => {
  it.each([
    // No path: the roadmaps folder.
    ['validate', {}, undefined],
    // One path, as before.
    ['validate roadmaps/', { file: 'roadmaps/' }, ['roadmaps/']],
    // What a shell makes of roadmaps/*.yaml.
    [
      'validate roadmaps/a.yaml roadmaps/b.yaml roadmaps/c.yaml',
      { file: 'roadmaps/a.yaml' },
      ['roadmaps/a.yaml', 'roadmaps/b.yaml', 'roadmaps/c.yaml'],
    ],
  ])('%s', (line, args, rest) => {
    const parsed = parseCommand(line.split(' '));
    if (!parsed.ok) throw new Error(parsed.error);
    expect(parsed.command.args).toEqual(args);
    expect(parsed.command.rest).toEqual(rest);
  });

  it('says so in its usage, and no other command takes several words', () => {
    const validate = COMMANDS.find((c) => c.name === 'validate');
    if (!validate) throw new Error('validate is in the table');
    expect(usageOf(validate)).toBe('validate [file...]');
    expect(COMMANDS.filter((c) => c.args.some((a) => a.variadic)).map((c) => c.name)).toEqual([
      'validate',
    ]);
    const extra = parseCommand(['record', 'users', '5', '6']);
    expect(extra).toMatchObject({ ok: false, error: 'unexpected "6"' });
  });
});

describe('roadmap validate <path...> (a real process, no database)', () => {
  const NO_DATABASE = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

  it('lists every problem of every file given, and exits 1 if any has errors', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'validate-'));
    const good = path.join(dir, 'good.yaml');
    const v2 = path.join(dir, 'example-v2.yaml');
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(good, readFileSync(path.join(ROADMAPS_DIR, 'example.yaml'), 'utf8'));
    writeFileSync(v2, readFileSync(path.join(ROADMAPS_DIR, 'example-v2.yaml'), 'utf8'));
    writeFileSync(
      bad,
      readFileSync(path.join(ROADMAPS_DIR, 'example-v2.yaml'), 'utf8')
        .replace('id: example-v2', 'id: bad')
        .replace('stages: [growth]', 'stages: [grow]')
        .replace('for: 15m', 'for: 15 minutes'),
    );
    const run = await cli(['validate', good, bad, v2, path.join(dir, 'missing.yaml')], NO_DATABASE);
    const out = run.stdout + run.stderr;
    expect(run.code).toBe(1);
    expect(out).toMatch(/bad\.yaml:\d+:\d+: alerts\[0\]\.for: expected a duration/);
    expect(out).toMatch(/bad\.yaml:\d+:\d+: alerts\[0\]\.stages\[0\]: unknown stage "grow"/);
    expect(out).toMatch(/missing\.yaml: no such file or folder/);
    expect(out).toMatch(/2 files with errors, 2 valid/);
    expect(out).not.toMatch(/good\.yaml|example-v2\.yaml/);

    const ok = await cli(['validate', good, v2], NO_DATABASE);
    expect(ok.code).toBe(0);
    expect(ok.stdout + ok.stderr).toMatch(/2 roadmap files valid/);
  });

  it('refuses a file over the size limit unread, named on its own as in a folder', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'validate-'));
    const huge = path.join(dir, 'huge.yaml');
    // A sparse 2 GB file: reading it whole would take seconds and gigabytes; refused at once.
    truncateSync((writeFileSync(huge, ''), huge), 2_000_000_000);
    const run = await cli(['validate', huge], NO_DATABASE);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(
      /huge\.yaml:1:1: file is 2000000000 bytes, over the limit of 1000000 bytes; refused unread/,
    );
  });
});
