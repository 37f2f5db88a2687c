import { describe, expect, it } from 'vitest';
import type { ParseResult } from '../../src/core/commands/parse.js';
import { MAX_COMMAND_LENGTH, parseCommand, tokenize } from '../../src/core/commands/parse.js';
import { availableOn, COMMANDS, usageOf } from '../../src/core/commands/table.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { statusMessage } from '../../src/core/messages/compose.js';
import { percent, progressBar, sparkline } from '../../src/core/messages/graphics.js';
import { renderText } from '../../src/core/messages/text.js';
import { shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';

/** Parses a typed line; returns what the command layer would act on. */
function parse(line: string) {
  const result = parseCommand(tokenize(line));
  if (!result.ok) throw new Error(`"${line}" failed: ${result.error}`);
  return {
    name: result.command.spec.name,
    args: result.command.args,
    options: result.command.options,
  };
}

function failure(line: string): Extract<ParseResult, { ok: false }> {
  const result = parseCommand(tokenize(line));
  if (result.ok) throw new Error(`"${line}" should fail`);
  return result;
}

describe('tokenize', () => {
  it.each([
    ['record users 420', ['record', 'users', '420']],
    ['  status   --json  ', ['status', '--json']],
    ['set "multi region" yes', ['set', 'multi region', 'yes']],
    ["check 'no secrets'", ['check', 'no secrets']],
    ['check “smart quotes”', ['check', 'smart quotes']],
    ['record x --at "2026-03-01 09:30"', ['record', 'x', '--at', '2026-03-01 09:30']],
    ['a"b c"d', ['ab cd']], // quotes join with the text around them
    ['say "it\'s"', ['say', "it's"]], // the other quote inside quotes is text
    ['say "" x', ['say', '', 'x']], // an empty quoted word is still a word
    ['say "unterminated words', ['say', 'unterminated words']],
    ['tab\tand\nnewline', ['tab', 'and', 'newline']],
    ['', []],
    ['   ', []],
  ])('%j → %j', (text, tokens) => {
    expect(tokenize(text)).toEqual(tokens);
  });
});

describe('parseCommand', () => {
  describe('every command in the table', () => {
    it.each([
      ['status', { name: 'status', args: {}, options: {} }],
      [
        'status --json --roadmap oviya',
        { name: 'status', args: {}, options: { json: true, roadmap: 'oviya' } },
      ],
      ['status --now 2026-03-01', { name: 'status', args: {}, options: { now: '2026-03-01' } }],
      ['metrics', { name: 'metrics', args: {}, options: {} }],
      [
        'metrics mrr --window 7d',
        { name: 'metrics', args: { name: 'mrr' }, options: { window: '7d' } },
      ],
      [
        'record users 420',
        { name: 'record', args: { metric: 'users', value: '420' }, options: {} },
      ],
      [
        'record response_time_p95 1.5s',
        { name: 'record', args: { metric: 'response_time_p95', value: '1.5s' }, options: {} },
      ],
      ['record delta -5', { name: 'record', args: { metric: 'delta', value: '-5' }, options: {} }],
      [
        'set multi_region_needed yes',
        { name: 'set', args: { flag: 'multi_region_needed', value: 'yes' }, options: {} },
      ],
      ['gates', { name: 'gates', args: {}, options: {} }],
      ['check no-secrets', { name: 'check', args: { gate: 'no-secrets' }, options: {} }],
      [
        'uncheck no-secrets --roadmap example',
        { name: 'uncheck', args: { gate: 'no-secrets' }, options: { roadmap: 'example' } },
      ],
      ['advance', { name: 'advance', args: {}, options: {} }],
      [
        'link --ttl 30d --tv --roadmap oviya',
        { name: 'link', args: {}, options: { ttl: '30d', tv: true, roadmap: 'oviya' } },
      ],
      ['budget', { name: 'budget', args: {}, options: {} }],
      [
        'plan --now 2026-03-01 public',
        { name: 'plan', args: {}, options: { now: '2026-03-01', public: true } },
      ],
      [
        'tracks --roadmap example-v2',
        { name: 'tracks', args: {}, options: { roadmap: 'example-v2' } },
      ],
      [
        'move database pro',
        { name: 'move', args: { track: 'database', step: 'pro' }, options: {} },
      ],
      ['import points.csv', { name: 'import', args: { file: 'points.csv' }, options: {} }],
      ['validate', { name: 'validate', args: {}, options: {} }],
      ['validate roadmaps/', { name: 'validate', args: { file: 'roadmaps/' }, options: {} }],
      ['migrate', { name: 'migrate', args: {}, options: {} }],
      ['help', { name: 'help', args: {}, options: {} }],
      ['help record', { name: 'help', args: { command: 'record' }, options: {} }],
      ['STATUS', { name: 'status', args: {}, options: {} }],
    ])('%s', (line, expected) => {
      expect(parse(line)).toEqual(expected);
    });

    it('covers every command of the table', () => {
      const tested = [
        'status',
        'link',
        'forecast',
        'chart',
        'metrics',
        'record',
        'set',
        'gates',
        'check',
        'uncheck',
        'advance',
        'budget',
        'plan',
        'tracks',
        'move',
        'alerts',
        'ack',
        'snooze',
        'subscribe',
        'unsubscribe',
        'digest',
        'deliveries',
        'use',
        'token',
        'discord',
        'import',
        'validate',
        'migrate',
        'help',
      ];
      expect(COMMANDS.map((c) => c.name).sort()).toEqual([...tested].sort());
    });
  });

  describe('option forms', () => {
    const recorded = {
      name: 'record',
      args: { metric: 'users', value: '420' },
      options: { at: '2026-03-01' },
    };

    it.each([
      'record users 420 --at 2026-03-01',
      'record users 420 --at=2026-03-01',
      'record users 420 at:2026-03-01',
      'record users 420 at 2026-03-01',
      'record users 420 AT 2026-03-01',
      'record --at 2026-03-01 users 420',
      'record users at 2026-03-01 420',
    ])('%s', (line) => {
      expect(parse(line)).toEqual(recorded);
    });

    it('keeps spaces in a quoted option value', () => {
      expect(parse('record users 420 --at "2026-03-01 09:30"').options).toEqual({
        at: '2026-03-01 09:30',
      });
      expect(parse('record users 420 "--at=2026-03-01 09:30"').options).toEqual({
        at: '2026-03-01 09:30',
      });
    });

    it('takes flags as --flag, flag:yes and, where allowed, a bare word', () => {
      for (const line of [
        'advance force',
        'advance --force',
        'advance force:yes',
        'advance --force=true',
        'advance FORCE',
      ]) {
        expect(parse(line), line).toEqual({ name: 'advance', args: {}, options: { force: true } });
      }
      expect(parse('status public')).toEqual({
        name: 'status',
        args: {},
        options: { public: true },
      });
      expect(parse('gates public').options).toEqual({ public: true });
      expect(parse('status roadmap:oviya now:2026-03-01')).toEqual({
        name: 'status',
        args: {},
        options: { roadmap: 'oviya', now: '2026-03-01' },
      });
    });

    it('refuses a value given to a flag', () => {
      expect(failure('advance --force=no')).toEqual({
        ok: false,
        error: '--force takes no value',
        usage: 'advance [--roadmap <roadmap>] [--force]',
      });
    });

    it('refuses an option without its value', () => {
      expect(failure('record users 420 --at').error).toBe('--at needs a value');
      expect(failure('record users 420 at').error).toBe('--at needs a value');
      expect(failure('record users 420 --at ""').error).toBe('--at needs a value');
    });
  });

  describe('errors', () => {
    it('names a missing required argument and gives the usage line', () => {
      expect(failure('record users')).toEqual({
        ok: false,
        error: 'missing <value>: the value: 420, 1.5s, 99.5%, $1.2k',
        usage: 'record <metric> <value> [--roadmap <roadmap>] [--at <time>]',
      });
      expect(failure('record').error).toBe('missing <metric>: a metric name');
      expect(failure('check')).toEqual({
        ok: false,
        error: 'missing <gate>: a gate or to-do id',
        usage: 'check <gate> [--roadmap <roadmap>]',
      });
      expect(failure('set multi_region_needed').error).toBe('missing <value>: yes or no');
      expect(failure('move database')).toEqual({
        ok: false,
        error: 'missing <step>: a step id of that track',
        usage: 'move <track> <step> [--roadmap <roadmap>]',
      });
      expect(failure('import').usage).toBe('import <file> [--roadmap <roadmap>]');
    });

    it('lists the commands for an unknown one', () => {
      const result = failure('frobnicate now');
      expect(result.error).toBe(
        `unknown command "frobnicate"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
      );
      expect(result.usage).toBe('help [command]');
    });

    it('gives every usage line when no command is given', () => {
      const result = failure('');
      expect(result.error).toBe('no command given');
      expect(result.usage?.split('\n')).toEqual(COMMANDS.map((c) => usageOf(c)));
    });

    it('refuses an unknown option', () => {
      expect(failure('status --bogus')).toEqual({
        ok: false,
        error: 'unknown option "--bogus" for status',
        usage: 'status [--roadmap <roadmap>] [--now <time>] [--json] [--public]',
      });
      expect(failure('record users 420 --at-time 2026').error).toBe(
        'unknown option "--at-time" for record',
      );
      // An option of another command is unknown here.
      expect(failure('advance --json').error).toBe('unknown option "--json" for advance');
      // name:value for a name that is no option of the command is just a word, one too many.
      expect(failure('status bogus:1').error).toBe('unexpected "bogus:1"');
    });

    it('refuses extra words', () => {
      expect(failure('record users 1 2')).toEqual({
        ok: false,
        error: 'unexpected "2"',
        usage: 'record <metric> <value> [--roadmap <roadmap>] [--at <time>]',
      });
      expect(failure('migrate now please').error).toBe('unexpected "now please"');
      expect(failure('status extra').error).toBe('unexpected "extra"');
    });

    it('refuses over-long input unread', () => {
      const long = ['record', 'users', 'x'.repeat(MAX_COMMAND_LENGTH)];
      expect(parseCommand(long)).toEqual({
        ok: false,
        error: `command is longer than ${MAX_COMMAND_LENGTH} characters`,
      });
      // Just under the limit is parsed.
      const justUnder = [
        'record',
        'users',
        'x'.repeat(MAX_COMMAND_LENGTH - 'record users '.length),
      ];
      expect(parseCommand(justUnder).ok).toBe(true);
    });
  });

  describe('usageOf', () => {
    it('writes required args in <>, optional in [], options after', () => {
      const usage = (name: string) => usageOf(COMMANDS.find((c) => c.name === name)!);
      expect(usage('status')).toBe(
        'status [--roadmap <roadmap>] [--now <time>] [--json] [--public]',
      );
      expect(usage('record')).toBe('record <metric> <value> [--roadmap <roadmap>] [--at <time>]');
      expect(usage('budget')).toBe('budget [--roadmap <roadmap>] [--now <time>] [--public]');
      expect(usage('move')).toBe('move <track> <step> [--roadmap <roadmap>]');
      expect(usage('subscribe')).toBe(
        'subscribe <what> [when] [timezone] [--roadmap <roadmap>] [--channel <channel>]',
      );
      expect(usage('validate')).toBe('validate [file...]');
      expect(usage('migrate')).toBe('migrate');
      // Every command has one.
      for (const spec of COMMANDS) expect(usageOf(spec).startsWith(spec.name)).toBe(true);
    });

    it('marks the commands that change state, and those only for a terminal', () => {
      expect(COMMANDS.filter((c) => c.mutates).map((c) => c.name)).toEqual([
        'record',
        'set',
        'check',
        'uncheck',
        'advance',
        'move',
        'ack',
        'snooze',
        'subscribe',
        'unsubscribe',
        'import',
        'token',
        'migrate',
        'use',
      ]);
      expect(COMMANDS.filter((c) => !availableOn(c, 'chat')).map((c) => c.name)).toEqual([
        'import',
        'token',
        'discord',
        'chart',
        'validate',
        'migrate',
      ]);
    });
  });
});

describe('rendering', () => {
  describe('sparkline', () => {
    it('is empty for no values, or no finite values', () => {
      expect(sparkline([])).toBe('');
      expect(sparkline([Number.NaN, Number.POSITIVE_INFINITY])).toBe('');
    });

    it('draws a flat series at mid height', () => {
      expect(sparkline([5, 5, 5])).toBe('▄▄▄');
      expect(sparkline([7])).toBe('▄');
    });

    it('scales between the series min and max, one character per value', () => {
      expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
      expect(sparkline([10, 0])).toBe('█▁');
      expect(sparkline([-5, 5])).toBe('▁█');
    });

    it('leaves a gap for a missing value', () => {
      expect(sparkline([0, Number.NaN, 7])).toBe('▁ █');
    });
  });

  describe('progressBar', () => {
    it.each([
      [0, '░░░░░░░░░░'],
      [0.5, '█████░░░░░'],
      [0.825, '████████░░'],
      [1, '██████████'],
      [1.5, '██████████'], // capped at full
      [100, '██████████'],
      [-0.3, '░░░░░░░░░░'], // never below empty
    ])('%d → %s', (progress, bar) => {
      expect(progressBar(progress)).toBe(bar);
    });

    it('takes a width', () => {
      expect(progressBar(0.5, 4)).toBe('██░░');
      expect(progressBar(2, 4)).toBe('████');
    });

    it('writes percent without capping', () => {
      expect(percent(0.825)).toBe('83%');
      expect(percent(1.5)).toBe('150%');
    });
  });

  describe('renderText(statusMessage(report))', () => {
    const roadmap = shippedRoadmap('example');
    const NOW = new Date('2026-03-01T12:00:00Z');
    const values = {
      active_users: 330,
      paid_users: 30,
      mrr: 900,
      response_time_p95: 800,
      database_cpu: 40,
      infra_cost: 150,
      cache_hit_rate: 70,
      multi_region_needed: false,
    };
    const report = evaluateRoadmap(
      roadmap,
      snapshotOf(roadmap, values, new Date(NOW.getTime() - 60_000)),
      stateIn('tier0', new Date('2026-02-01T00:00:00Z')),
      NOW,
    );
    const text = renderText(statusMessage(report));

    it('names the roadmap, the stage, how long it has been there and the next stage', () => {
      const lines = text.split('\n');
      expect(lines[0]).toBe(
        'Example SaaS — scaling roadmap — Tier 0 — MVP launch (stage 1 of 4) since 2026-01-31 (28 days)',
      );
      expect(lines[1]).toBe('Next: Tier 1 — Early growth');
    });

    it('shows the trigger state and each comparison with a progress bar', () => {
      expect(text).toContain(
        'Upgrade trigger: APPROACHING — active_users >= 400 or response_time_p95 > 2s',
      );
      expect(text).toContain('⚠️  active_users 330 >= 400  ████████░░ 83%');
      expect(text).toContain('⬜  response_time_p95 800 ms > 2 s  ████░░░░░░ 40%');
      expect(text).toContain(
        'Approaching Tier 0 capacity (400/500 users). Prepare the Tier 1 upgrade.',
      );
    });

    it('summarises quiet alerts, gates, budget and targets', () => {
      expect(text).toContain('Alerts: 1 quiet');
      expect(text).toContain('Gates: 1 of 2 passed');
      expect(text).toContain('no-secrets: No hardcoded secrets');
      expect(text).toContain('$150/month against $100–$200/month: within');
      expect(text).toMatch(/first-100-paid: open\b.* — paid_users >= 100 and mrr >= \$1\.5k/);
    });

    it('says FIRING and what has no fresh data', () => {
      const { cache_hit_rate: _c, ...rest } = values;
      const firing = evaluateRoadmap(
        roadmap,
        snapshotOf(roadmap, { ...rest, active_users: 450 }, new Date(NOW.getTime() - 60_000)),
        stateIn(),
        NOW,
      );
      const out = renderText(statusMessage(firing));
      expect(out).toContain('🔥 Upgrade trigger: FIRING');
      expect(out).toContain('active_users 450 >= 400  ██████████ 113%');
      const fresh = out.slice(out.indexOf('No fresh data'));
      expect(out).toContain('No fresh data');
      expect(fresh).toMatch(/never recorded/);
      expect(fresh).toContain('cache_hit_rate');
      expect(statusMessage(firing).tone).toBe('alert');
      expect(statusMessage(firing).fallback).toBe(
        'Example SaaS — scaling roadmap: Tier 0 — MVP launch, upgrade trigger firing',
      );
    });
  });
});
