import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Condition } from '../../src/core/condition/compile.js';
import { evaluateCondition } from '../../src/core/condition/evaluate.js';
import type { LoadResult, Problem } from '../../src/core/roadmap/load.js';
import { formatProblem, loadRoadmap, MAX_ROADMAP_BYTES } from '../../src/core/roadmap/load.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { ROADMAPS_DIR } from '../support/roadmaps.js';
import { formatPageExample } from './format-page.js';

const DAY = 86_400_000;

function loaded(result: LoadResult): Roadmap {
  if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
  return result.roadmap;
}

function refused(result: LoadResult): Problem[] {
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}

/** `file:line:column` of the first occurrence of `needle` on 1-based line `line` of `text`. */
function at(file: string, text: string, line: number, needle: string): string {
  const column = (text.split('\n')[line - 1] ?? '').indexOf(needle) + 1;
  if (column === 0) throw new Error(`"${needle}" is not on line ${line}`);
  return `${file}:${line}:${column}`;
}

/** The thresholds and values a condition reports, with every metric at `value`. */
function thresholds(condition: Condition | undefined, value = 1): (number | undefined)[] {
  if (!condition) throw new Error('no condition');
  const result = evaluateCondition(
    condition,
    { value: () => value, window: () => ({ count: 1, avg: value }) },
    0.8,
  );
  return result.comparisons.map((c) => c.threshold);
}

const MINIMAL = [
  'id: minimal',
  'name: Minimal',
  'metrics:',
  '  users: { unit: count }',
  'stages:',
  '  - id: only',
  '    name: Only stage',
  '',
].join('\n');

describe('the format page example', () => {
  const text = formatPageExample();
  const result = loadRoadmap('roadmaps/example.yaml', text);

  it('is the file shipped as roadmaps/example.yaml', () => {
    expect(readFileSync(path.join(ROADMAPS_DIR, 'example.yaml'), 'utf8')).toBe(text);
  });

  it('loads with no errors and no warnings', () => {
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('keeps the header as written', () => {
    const roadmap = loaded(result);
    expect(roadmap).toMatchObject({
      id: 'example',
      name: 'Example SaaS — scaling roadmap',
      timezone: 'America/New_York',
      start: '2026-01-01',
      approaching: 0.8,
      file: 'roadmaps/example.yaml',
    });
  });

  it('keeps every metric with its unit, label, derivation and staleness', () => {
    const roadmap = loaded(result);
    const metrics = [...roadmap.metrics.values()].map((m) => ({
      name: m.name,
      unit: m.unit,
      label: m.label,
      derived: m.derive?.text,
      stale: m.staleAfterMs,
    }));
    const week = 7 * DAY;
    expect(metrics).toEqual([
      {
        name: 'active_users',
        unit: 'count',
        label: 'Active users',
        derived: undefined,
        stale: week,
      },
      { name: 'paid_users', unit: 'count', label: 'paid_users', derived: undefined, stale: week },
      { name: 'mrr', unit: 'usd', label: 'MRR', derived: undefined, stale: week },
      {
        name: 'response_time_p95',
        unit: 'ms',
        label: 'P95 response time',
        derived: undefined,
        stale: week,
      },
      { name: 'database_cpu', unit: 'percent', label: 'DB CPU', derived: undefined, stale: week },
      {
        name: 'infra_cost',
        unit: 'usd',
        label: 'Infra cost / month',
        derived: undefined,
        stale: week,
      },
      {
        name: 'cache_hit_rate',
        unit: 'percent',
        label: 'cache_hit_rate',
        derived: undefined,
        stale: week,
      },
      {
        name: 'conversion',
        unit: 'percent',
        label: 'conversion',
        derived: 'paid_users / active_users * 100',
        stale: week,
      },
      // Flags hold until changed: they never go stale.
      {
        name: 'multi_region_needed',
        unit: 'flag',
        label: 'multi_region_needed',
        derived: undefined,
        stale: null,
      },
    ]);
    expect(roadmap.metrics.get('conversion')?.derive?.metrics).toEqual([
      'paid_users',
      'active_users',
    ]);
    expect([...roadmap.metrics.values()].some((m) => m.source)).toBe(false);
  });

  it('keeps the four stages in order with bands, budgets, gates and upgrades', () => {
    const roadmap = loaded(result);
    expect(roadmap.stages.map((s) => [s.index, s.id, s.name])).toEqual([
      [0, 'tier0', 'Tier 0 — MVP launch'],
      [1, 'tier1', 'Tier 1 — Early growth'],
      [2, 'tier2', 'Tier 2 — Growth'],
      [3, 'tier3', 'Tier 3 — Production scale'],
    ]);
    const [tier0, tier1, tier2, tier3] = roadmap.stages;
    expect(tier0).toMatchObject({
      users: { min: 0, max: 500 },
      budget: { min: 100, max: 200 },
      actions: [],
    });
    expect(tier1).toMatchObject({ users: { min: 500, max: 2000 }, budget: { min: 300, max: 500 } });
    expect(tier2?.budget).toBeUndefined();
    expect(tier3?.upgrade).toBeUndefined();
    expect(tier3?.gates).toEqual([]);

    expect(tier0?.gates.map((g) => [g.id, g.text, g.check?.text])).toEqual([
      ['no-secrets', 'No hardcoded secrets', undefined],
      ['latency', 'Response time < 2s', 'response_time_p95 < 2s'],
    ]);
    expect(thresholds(tier0?.gates[1]?.check)).toEqual([2000]);
    expect(tier1?.gates.map((g) => [g.id, g.check?.text])).toEqual([
      ['cache-hit', 'cache_hit_rate > 60%'],
    ]);
    expect(thresholds(tier1?.gates[0]?.check)).toEqual([60]);

    expect(tier0?.upgrade).toMatchObject({
      id: 'tier0.upgrade',
      kind: 'upgrade',
      forMs: 0,
      severity: 'warning',
      message: 'Approaching Tier 0 capacity (400/500 users). Prepare the Tier 1 upgrade.',
    });
    expect(tier0?.upgrade?.when.text).toBe('active_users >= 400 or response_time_p95 > 2s');
    expect(thresholds(tier0?.upgrade?.when)).toEqual([400, 2000]);
    expect(tier1?.upgrade).toMatchObject({ id: 'tier1.upgrade', forMs: 3_600_000 });
    expect(tier1?.upgrade?.when.text).toBe('active_users >= 1,600 or database_cpu > 70%');
    expect(thresholds(tier1?.upgrade?.when)).toEqual([1600, 70]);
    expect(tier2?.upgrade?.when.metrics).toEqual([
      'active_users',
      'response_time_p95',
      'multi_region_needed',
    ]);
    const tier2Upgrade = tier2?.upgrade?.when;
    if (!tier2Upgrade) throw new Error('tier2 has an upgrade');
    const comparisons = evaluateCondition(
      tier2Upgrade,
      { value: () => 0, window: () => ({ count: 1, avg: 0 }) },
      0.8,
    ).comparisons;
    expect(comparisons.map((c) => [c.metric, c.fn, c.window, c.threshold])).toEqual([
      ['active_users', undefined, undefined, 4000],
      ['response_time_p95', 'avg', '1d', 1000],
    ]);
  });

  it('keeps the alert with for, clear_when and severity', () => {
    const roadmap = loaded(result);
    expect(roadmap.alerts).toHaveLength(1);
    const alert = roadmap.alerts[0];
    expect(alert).toMatchObject({
      id: 'db-cpu-high',
      kind: 'alert',
      forMs: 600_000,
      severity: 'critical',
      message: 'Database CPU above 80%. Plan the Tier 3 database move.',
    });
    expect(alert?.when.text).toBe('database_cpu > 80%');
    expect(alert?.clearWhen?.text).toBe('database_cpu < 70%');
    expect(thresholds(alert?.clearWhen)).toEqual([70]);
  });

  it('computes the target deadline `month 3` from start in the roadmap timezone', () => {
    const roadmap = loaded(result);
    expect(roadmap.targets).toHaveLength(1);
    const target = roadmap.targets[0];
    expect(target?.id).toBe('first-100-paid');
    expect(target?.by).toBe('month 3');
    // Start 2026-01-01 in America/New_York + 3 months = 2026-04-01 00:00 EDT.
    expect(target?.deadline?.toISOString()).toBe('2026-04-01T04:00:00.000Z');
    expect(target?.when.text).toBe('paid_users >= 100 and mrr >= $1.5k');
    expect(thresholds(target?.when)).toEqual([100, 1500]);
  });
});

describe('problems', () => {
  const FILE = 'roadmaps/broken.yaml';
  const BROKEN = [
    /*  1 */ 'id: broken',
    /*  2 */ 'name: Broken roadmap',
    /*  3 */ 'metrics:',
    /*  4 */ '  active_users: { unit: count }',
    /*  5 */ '  latency: { unit: ms }',
    /*  6 */ '  mrr: { unit: usd }',
    /*  7 */ '  revenue: { unit: dollars }',
    /*  8 */ '  signups: { unit: count, stale_after: 1 week }',
    /*  9 */ 'stages:',
    /* 10 */ '  - id: tier0',
    /* 11 */ '    name: Tier 0',
    /* 12 */ '    gates:',
    /* 13 */ '      - { id: paying, text: Paying, check: "active_users >= $5k" }',
    /* 14 */ '    upgrade:',
    /* 15 */ '      when: latency > 2s or active_userz >= 400',
    /* 16 */ '  - id: tier0',
    /* 17 */ '    name: Tier 0 again',
    /* 18 */ 'alerts:',
    /* 19 */ '  - id: Slow_Alert',
    /* 20 */ '    when: latency > 3s',
    /* 21 */ 'targets:',
    /* 22 */ '  - { id: q1, when: mrr >= $5k, by: month 3 }',
    '',
  ].join('\n');

  it('reports every problem of a bad file at once, sorted, each at its line:column', () => {
    const errors = refused(loadRoadmap(FILE, BROKEN));
    expect(errors.every((e) => e.severity === 'error' && e.file === FILE)).toBe(true);
    expect(errors.map(formatProblem)).toEqual([
      `${at(FILE, BROKEN, 7, 'dollars')}: metrics.revenue.unit: expected a unit: one of count, usd, percent, ms, s, bytes, ratio, flag`,
      `${at(FILE, BROKEN, 8, '1 week')}: metrics.signups.stale_after: expected a duration such as 10m, 1h or 7d, got "1 week"`,
      // Inside a quoted scalar: the column of the literal itself, past the quote.
      `${at(FILE, BROKEN, 13, '$5k')}: stages[0].gates[0].check: a dollar amount cannot be compared with a metric in count`,
      // The exact column of the unknown metric inside the condition.
      // signups is declared: only its stale_after is refused (reported above).
      `${at(FILE, BROKEN, 15, 'active_userz')}: stages[0].upgrade.when: unknown metric "active_userz" (declared: active_users, latency, mrr, signups)`,
      `${at(FILE, BROKEN, 16, 'tier0')}: stages[1].id: duplicate stage id "tier0" (first used at stages[0])`,
      `${at(FILE, BROKEN, 19, 'Slow_Alert')}: alerts[0].id: expected a slug: lowercase letters, digits, "-" and "_", starting with a letter or digit`,
      `${at(FILE, BROKEN, 22, 'month 3')}: targets[0].by: \`month 3\` counts from \`start\`, which this roadmap does not set (add a top-level start such as start: 2026-01-01)`,
    ]);
  });

  it('formats a problem as file:line:column: message, tagging warnings', () => {
    const problem: Problem = {
      file: 'r.yaml',
      line: 3,
      column: 7,
      message: 'metrics.x.unit: expected a unit',
      severity: 'error',
    };
    expect(formatProblem(problem)).toBe('r.yaml:3:7: metrics.x.unit: expected a unit');
    expect(formatProblem({ ...problem, severity: 'warning' })).toBe(
      'r.yaml:3:7: warning: metrics.x.unit: expected a unit',
    );
  });

  it('reports a bad top-level id and a bad timezone where they are written', () => {
    const text = MINIMAL.replace('id: minimal', 'id: Not A Slug').replace(
      'name: Minimal',
      'name: Minimal\ntimezone: Mars/Olympus_Mons',
    );
    const errors = refused(loadRoadmap('r.yaml', text)).map(formatProblem);
    expect(errors).toEqual([
      `${at('r.yaml', text, 1, 'Not A Slug')}: id: expected a slug: lowercase letters, digits, "-" and "_", starting with a letter or digit`,
      `${at('r.yaml', text, 3, 'Mars')}: timezone: expected an IANA timezone such as America/New_York`,
    ]);
  });

  // BUG (src/core/roadmap/load.ts, validate(): `return header ? { … } : undefined` and
  // loadRoadmap() returning before build()): when the header fails (bad id, bad timezone),
  // build() never runs, so no condition is compiled and no duplicate id or `month N` is
  // checked: the file is refused with 2 problems instead of all of them, contrary to
  // "refused with every problem listed" (docs/ROADMAP_FORMAT.md, Errors).
  it('reports condition, duplicate and deadline problems even when the header is bad too', () => {
    const text = BROKEN.replace('id: broken', 'id: Broken!').replace(
      'name: Broken roadmap',
      'name: Broken roadmap\ntimezone: Mars/Olympus_Mons',
    );
    const messages = refused(loadRoadmap(FILE, text)).map((e) => e.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^id: expected a slug/),
        expect.stringMatching(/^timezone: expected an IANA timezone/),
        expect.stringMatching(/^stages\[0\]\.upgrade\.when: unknown metric "active_userz"/),
        expect.stringMatching(/^stages\[0\]\.gates\[0\]\.check: a dollar amount/),
        expect.stringMatching(/^stages\[1\]\.id: duplicate stage id "tier0"/),
        expect.stringMatching(/^targets\[0\]\.by: `month 3` counts from `start`/),
      ]),
    );
  });

  // BUG (src/core/roadmap/load.ts, validate() `list()` uses flatMap and drops items that fail
  // their schema; build() then uses the index in the *filtered* list as the path): a problem
  // in the stage after a refused stage is reported as `stages[0]…` at the refused stage's
  // line (here 6:5) instead of at its own line.
  it('locates a problem in a stage that follows a refused stage at its own line', () => {
    const text = [
      /*  1 */ 'id: shifted',
      /*  2 */ 'name: Shifted',
      /*  3 */ 'metrics:',
      /*  4 */ '  users: { unit: count }',
      /*  5 */ 'stages:',
      /*  6 */ '  - id: tier0',
      /*  7 */ '    name: Tier 0',
      /*  8 */ '    upgrade:',
      /*  9 */ '      when: users >= 400',
      /* 10 */ '      for: 1 hour',
      /* 11 */ '  - id: tier1',
      /* 12 */ '    name: Tier 1',
      /* 13 */ '    gates:',
      /* 14 */ '      - { id: money, text: Money, check: "users >= $5k" }',
      '',
    ].join('\n');
    const errors = refused(loadRoadmap('r.yaml', text)).map(formatProblem);
    expect(errors).toEqual([
      `${at('r.yaml', text, 10, '1 hour')}: stages[0].upgrade.for: expected a duration such as 10m, 1h or 7d, got "1 hour"`,
      `${at('r.yaml', text, 14, '$5k')}: stages[1].gates[0].check: a dollar amount cannot be compared with a metric in count`,
    ]);
  });

  it('refuses durations past ten years (later times must stay dates), naming the field', () => {
    const text = [
      'id: long',
      'name: Long',
      'metrics:',
      '  users: { unit: count, stale_after: 4000d }',
      '  mrr: { unit: usd, source: { sql: "SELECT 1", database: DB, every: 100000w } }',
      'alerts:',
      '  - { id: slow, when: users > 1, for: 3650d }',
      'stages:',
      '  - { id: tier0, name: Tier 0, upgrade: { when: users >= 400, for: 99999999d } }',
      '',
    ].join('\n');
    expect(refused(loadRoadmap('r.yaml', text)).map((e) => e.message)).toEqual([
      'metrics.users.stale_after: expected a duration of at most 3650d, got "4000d"',
      'metrics.mrr.source.every: expected a duration of at most 3650d, got "100000w"',
      'stages[0].upgrade.for: expected a duration of at most 3650d, got "99999999d"',
    ]);
  });

  it('names the field of a collector source that is missing, extra or malformed', () => {
    const text = [
      'id: sources',
      'name: Sources',
      'metrics:',
      '  a: { unit: count, source: { sql: "SELECT 1", every: 5m } }',
      '  b: { unit: count, source: { prometheus: up, url: PROM, database: DB } }',
      '  c: { unit: count, source: { every: 5m } }',
      '  d: { unit: count, source: { sql: "SELECT 1", database: DB, every: 5 minutes } }',
      '  e: { unit: count, source: { sql: "", database: DB } }',
      'stages:',
      '  - { id: tier0, name: Tier 0 }',
      '',
    ].join('\n');
    expect(refused(loadRoadmap('r.yaml', text)).map((e) => e.message)).toEqual([
      'metrics.a.source.database: a `sql` source needs `database`: the name of the environment variable holding its URL',
      // b's extra `database` is refused, and the rest of its source still checked: it has no schedule.
      'metrics.b.source: expected `every` (such as 1h) or `cron`',
      'metrics.b.source.database: `database` does not belong to a `prometheus` source (`url` names its server)',
      'metrics.c.source: expected { sql, database, every } or { prometheus, url, every }',
      'metrics.d.source.every: expected a duration such as 10m, 1h or 7d, got "5 minutes"',
      'metrics.e.source.sql: expected a SQL query',
    ]);
  });

  // BUG (src/core/roadmap/schema.ts: target `by` only checks /^\d{4}-\d{2}-\d{2}$/, and
  // isoDate accepts what Date.parse accepts, which rolls 2026-02-30 over to March 2):
  // `by: 2026-02-30` loads with deadline = Invalid Date, so the target can never be missed
  // and statusJson() throws RangeError (toISOString of an invalid date).
  it('refuses an impossible calendar date in `by`', () => {
    const text = `${MINIMAL}targets:\n  - { id: t, when: users > 1, by: 2026-02-30 }\n`;
    const result = loadRoadmap('r.yaml', text);
    expect(result.ok).toBe(false);
  });

  // Same bug for `start` (schema.ts isoDate uses Date.parse), which `month N` counts from.
  it('refuses an impossible calendar date in `start`', () => {
    const text = `${MINIMAL.replace('name: Minimal', 'name: Minimal\nstart: 2026-02-30')}targets:\n  - { id: t, when: users > 1, by: month 1 }\n`;
    const result = loadRoadmap('r.yaml', text);
    expect(result.ok).toBe(false);
  });

  it('refuses a `by` that is neither a date nor a period', () => {
    const text = `${MINIMAL}targets:\n  - { id: t, when: users > 1, by: next spring }\n`;
    expect(refused(loadRoadmap('r.yaml', text)).map((e) => e.message)).toEqual([
      'targets[0].by: expected a date or period such as 2026-03-31, week 2, month 3, quarter 1, year 1 or 2026-Q2, got "next spring"',
    ]);
  });

  it('takes a `by` date as the end of that day in the roadmap timezone', () => {
    const utc = loaded(
      loadRoadmap('r.yaml', `${MINIMAL}targets:\n  - { id: t, when: users > 1, by: 2026-03-31 }\n`),
    );
    expect(utc.targets[0]?.deadline?.toISOString()).toBe('2026-04-01T00:00:00.000Z');
    const ny = loaded(
      loadRoadmap(
        'r.yaml',
        `${MINIMAL.replace('name: Minimal', 'name: Minimal\ntimezone: America/New_York')}targets:\n  - { id: t, when: users > 1, by: 2026-03-31 }\n`,
      ),
    );
    expect(ny.targets[0]?.deadline?.toISOString()).toBe('2026-04-01T04:00:00.000Z');
  });

  it('loads a file with unknown keys, warning at each key', () => {
    const text = [
      'id: extra',
      'name: Extra',
      'owner: platform-team',
      'metrics:',
      '  users: { unit: count, colour: blue }',
      'stages:',
      '  - id: only',
      '    name: Only',
      '    notes: something to remember',
      '    gates:',
      '      - { id: g, text: G, owner: me }',
      '',
    ].join('\n');
    const result = loadRoadmap('r.yaml', text);
    expect(result.ok).toBe(true);
    expect(result.warnings.every((w) => w.severity === 'warning')).toBe(true);
    expect(result.warnings.map(formatProblem)).toEqual([
      `${at('r.yaml', text, 3, 'owner')}: warning: owner: unknown key "owner" (ignored)`,
      `${at('r.yaml', text, 5, 'colour')}: warning: metrics.users.colour: unknown key "colour" (ignored)`,
      `${at('r.yaml', text, 9, 'notes')}: warning: stages[0].notes: unknown key "notes" (ignored)`,
      `${at('r.yaml', text, 11, 'owner')}: warning: stages[0].gates[0].owner: unknown key "owner" (ignored)`,
    ]);
    expect(loaded(result).stages[0]?.gates[0]).toEqual({ id: 'g', text: 'G' });
  });

  it('warns when the last stage has an upgrade, and still loads', () => {
    const text = `${MINIMAL}    upgrade: { when: users > 5 }\n`;
    const result = loadRoadmap('r.yaml', text);
    expect(result.ok).toBe(true);
    expect(result.warnings.map(formatProblem)).toEqual([
      `${at('r.yaml', text, 8, '{ when')}: warning: stages[0].upgrade: the last stage has no next stage to upgrade to`,
    ]);
  });

  it('refuses derived metrics that form a cycle', () => {
    const text = [
      'id: cycle',
      'name: Cycle',
      'metrics:',
      '  a: { unit: count, derive: "b + 1" }',
      '  b: { unit: count, derive: "a * 2" }',
      '  c: { unit: count, derive: "c" }',
      '  d: { unit: count, derive: "users / 2" }',
      '  users: { unit: count }',
      'stages:',
      '  - { id: s, name: S }',
      '',
    ].join('\n');
    expect(refused(loadRoadmap('r.yaml', text)).map(formatProblem)).toEqual([
      `${at('r.yaml', text, 4, '"b + 1"')}: metrics.a.derive: derived metrics form a cycle: a -> b -> a`,
      `${at('r.yaml', text, 6, '"c"')}: metrics.c.derive: derived metrics form a cycle: c -> c`,
    ]);
  });

  it('gives flags no staleness and other metrics 7 days unless stale_after says otherwise', () => {
    const text = [
      'id: stale',
      'name: Stale',
      'metrics:',
      '  flagged: { unit: flag }',
      '  users: { unit: count }',
      '  dau: { unit: count, stale_after: 2d }',
      '  ping: { unit: ms, stale_after: 90m }',
      'stages:',
      '  - { id: s, name: S }',
      '',
    ].join('\n');
    const metrics = loaded(loadRoadmap('r.yaml', text)).metrics;
    expect(metrics.get('flagged')?.staleAfterMs).toBeNull();
    expect(metrics.get('users')?.staleAfterMs).toBe(7 * DAY);
    expect(metrics.get('dau')?.staleAfterMs).toBe(2 * DAY);
    expect(metrics.get('ping')?.staleAfterMs).toBe(90 * 60_000);
  });
});

describe('files that are not roadmaps', () => {
  it.each([
    ['an empty file', ''],
    ['only whitespace', '   \n\n'],
    ['only a comment', '# nothing yet\n'],
    ['a list', '- id: a\n- id: b\n'],
    ['a scalar', 'hello\n'],
  ])('%s is refused with a clear error', (_what, text) => {
    expect(refused(loadRoadmap('r.yaml', text)).map(formatProblem)).toEqual([
      'r.yaml:1:1: expected a mapping with id, name, metrics and stages',
    ]);
  });

  it('names each missing required key', () => {
    const messages = refused(loadRoadmap('r.yaml', 'id: lonely\n')).map((e) => e.message);
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/^name: /);
    expect(messages[1]).toBe('metrics: expected a map of metric name to { unit, label }');
    expect(messages[2]).toBe('stages: expected a list of stages');
  });

  it('needs at least one stage', () => {
    const text = 'id: none\nname: None\nmetrics: {}\nstages: []\n';
    expect(refused(loadRoadmap('r.yaml', text)).map(formatProblem)).toEqual([
      `${at('r.yaml', text, 4, '[]')}: stages: expected at least one stage`,
    ]);
  });

  it('reports YAML syntax errors with their positions', () => {
    const tab = 'id: x\nname: X\nmetrics:\n\tusers: { unit: count }\n';
    expect(refused(loadRoadmap('r.yaml', tab)).map(formatProblem)).toEqual([
      'r.yaml:4:1: Tabs are not allowed as indentation',
    ]);

    const duplicate = 'id: x\nid: y\nname: X\n';
    expect(refused(loadRoadmap('r.yaml', duplicate)).map(formatProblem)).toEqual([
      'r.yaml:2:1: Map keys must be unique',
    ]);

    const unclosed =
      'id: x\nname: X\nmetrics:\n  users: { unit: count\nstages:\n  - { id: s, name: S }\n';
    const errors = refused(loadRoadmap('r.yaml', unclosed));
    expect(errors[0]?.message).toMatch(/Flow map/);
    expect(errors[0]?.line).toBeGreaterThanOrEqual(4);
    expect(errors[0]?.column).toBeGreaterThanOrEqual(1);
  });

  it('refuses a YAML alias bomb instead of expanding it', () => {
    const levels = 'abcdefghi'.split('');
    const bomb = [
      `${MINIMAL}lol:`,
      `  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]`,
      ...levels
        .slice(1)
        .map((name, i) => `  ${name}: &${name} [${Array(9).fill(`*${levels[i]}`).join(',')}]`),
      '',
    ].join('\n');
    const result = loadRoadmap('r.yaml', bomb);
    const errors = refused(result);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(/alias/i);
  });

  it('refuses an oversized file unread', () => {
    const errors = refused(loadRoadmap('r.yaml', `# ${'x'.repeat(MAX_ROADMAP_BYTES)}\n`));
    expect(errors.map(formatProblem)).toEqual([
      `r.yaml:1:1: file is larger than ${MAX_ROADMAP_BYTES} bytes`,
    ]);
  });

  // BUG (same root cause as the unary-minus test in condition.test.ts): a hostile condition
  // makes loadRoadmap() throw RangeError instead of refusing the file, so one bad file can
  // take the loader down rather than being reported with a position.
  it('refuses a file whose condition is a long run of unary minus, without throwing', () => {
    const text = `${MINIMAL.replace('  - id: only\n    name: Only stage\n', '')}  - id: s\n    name: S\n    gates:\n      - id: g\n        text: G\n        check: "${'-'.repeat(1900)}users > 1"\n`;
    let result: LoadResult | undefined;
    expect(() => {
      result = loadRoadmap('r.yaml', text);
    }).not.toThrow();
    expect(result?.ok).toBe(false);
  });
});
