import {
  parsePeriod,
  periodText,
  resolvePeriod,
  REVIEW_GRACE_MS,
  type Cadence,
  type Period,
} from '../calendar/period.js';
import { cronIsValid } from '../collectors/schedule.js';
import type { Condition, MetricInfo } from '../condition/compile.js';
import { compileCondition, compileExpression } from '../condition/compile.js';
import type { ParseError } from '../condition/parse.js';
import { parseLiteral } from '../condition/parse.js';
import { evaluateNumber } from '../condition/evaluate.js';
import { convertLiteral, type Unit } from '../units.js';
import type {
  AlertRule,
  Amount,
  BudgetLine,
  Gate,
  MetricDef,
  PeriodAt,
  Plan,
  PlanPoint,
  PlanScenario,
  Roadmap,
  Stage,
  StaleRule,
  Target,
  TeamRole,
  Todo,
  Track,
  TrackStep,
} from './model.js';
import { pathText, type Path, type Problems } from './problems.js';
import type { BudgetLineFile, PlanFile, RoadmapFile, StageFile, TrackFile } from './schema.js';

/**
 * Compiles a validated file (./validate.ts) into the model (./model.ts): conditions and
 * expressions compiled against the declared metrics, literals converted to their metric's
 * unit, periods placed in the roadmap's timezone, ids checked across the file. Every problem
 * goes to `problems`; the roadmap returned is used only when there are none.
 */

/** Derived metrics computed from derived metrics, at most this deep. */
export const MAX_DERIVE_DEPTH = 16;

const DAY = 86_400_000;
/** Without `stale_after` or `review`, a point older than this is stale. */
const DEFAULT_STALE_MS = 7 * DAY;
/** The longest calendar period of each cadence (a DST day, a 31-day month, a 92-day quarter). */
const LONGEST_PERIOD_MS: Readonly<Record<Cadence, number>> = {
  daily: DAY + 3_600_000,
  weekly: 7 * DAY + 3_600_000,
  monthly: 31 * DAY + 3_600_000,
  quarterly: 92 * DAY + 3_600_000,
};
/** Alert ids a budget line takes (`budget.<line>`): no stage or track may be called this. */
const RESERVED_ID = 'budget';

type FilePeriod = { period: Period; text: string };

function checkUnique(
  problems: Problems,
  items: ({ id: string } | undefined)[],
  path: Path,
  what: string,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    if (!item || problems.idless.has(item)) return;
    const first = seen.get(item.id);
    if (first !== undefined)
      problems.add(
        [...path, index, 'id'],
        `duplicate ${what} id "${item.id}" (first used at ${pathText([...path, first])})`,
      );
    else seen.set(item.id, index);
  });
}

/** Derived metrics may use each other, but not in a circle. */
function checkDeriveCycles(problems: Problems, metrics: Map<string, MetricDef>): void {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, chain: string[]): void => {
    if (done.has(name)) return;
    if (visiting.has(name)) {
      problems.add(
        ['metrics', name, 'derive'],
        `derived metrics form a cycle: ${[...chain, name].join(' -> ')}`,
      );
      return;
    }
    if (chain.length >= MAX_DERIVE_DEPTH) {
      problems.add(
        ['metrics', chain[0] as string, 'derive'],
        `derived metrics nest deeper than ${MAX_DERIVE_DEPTH} (${chain[0]} -> … -> ${name})`,
      );
      return;
    }
    visiting.add(name);
    for (const input of metrics.get(name)?.derive?.metrics ?? []) visit(input, [...chain, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of metrics.keys()) visit(name, []);
}

function staleRule(m: RoadmapFile['metrics'][string]): StaleRule {
  if (m.stale_after !== undefined) return { kind: 'after', ms: m.stale_after };
  // Flags are facts set by people: they hold until changed, so they never go stale.
  if (m.unit === 'flag') return { kind: 'never' };
  if (m.review) return { kind: 'review', cadence: m.review, graceMs: REVIEW_GRACE_MS[m.review] };
  return { kind: 'after', ms: DEFAULT_STALE_MS };
}

class Builder {
  private readonly info: Map<string, MetricInfo>;
  private readonly declared: string;

  constructor(
    private readonly data: RoadmapFile,
    private readonly problems: Problems,
  ) {
    this.info = new Map(
      Object.entries(data.metrics).map(([name, m]) => [
        name,
        { unit: m.unit, derived: m.derive !== undefined },
      ]),
    );
    this.declared = Object.keys(data.metrics).join(', ') || 'none';
  }

  /** Reports a compiler's errors at their column in the file. */
  private report(path: Path, errors: ParseError[]): void {
    for (const error of errors) this.problems.add(path, error.message, { offset: error.offset });
  }

  condition(path: Path, text: string): Condition | undefined {
    // A metric refused for its own problems (reported there) is not "unknown" here too.
    const compiled = compileCondition(text, this.info, { refused: this.data.refusedMetrics });
    if (compiled.ok) return compiled.condition;
    this.report(path, compiled.errors);
    return undefined;
  }

  /** A declared metric, or a problem naming it at `path` (`key`: at that key of the map at `path`). */
  private metricRef(path: Path, name: string, opts: { key?: string } = {}): boolean {
    if (this.info.has(name)) return true;
    if (!this.data.refusedMetrics.has(name))
      this.problems.add(path, `unknown metric "${name}" (declared: ${this.declared})`, opts);
    return false;
  }

  /**
   * A number or a literal (`10k`, `$5k`, `500MB`, `2s`) in `unit`; `what` describes the value
   * for messages. Undefined (and reported) when it is neither or does not fit the unit.
   */
  private literal(path: Path, raw: number | string, unit: Unit, what: string): number | undefined {
    if (typeof raw === 'number') {
      if (Number.isFinite(raw)) return raw;
      this.problems.add(path, `expected ${what} as a finite number, got ${raw}`);
      return undefined;
    }
    const parsed = parseLiteral(raw);
    if (!parsed) {
      this.problems.add(path, `expected ${what} such as 500, 10k, $5k or 500MB, got "${raw}"`);
      return undefined;
    }
    const converted = convertLiteral(parsed.value, parsed.unit, unit);
    if ('error' in converted) {
      this.problems.add(path, `${converted.error} ("${raw}" as ${what})`);
      return undefined;
    }
    return converted.value;
  }

  /**
   * A number, a literal, or an expression over metrics (`0.25 * active_users`) in `unit`; an
   * expression without metrics is folded to its value.
   */
  private amount(path: Path, raw: number | string, unit: Unit, what: string): Amount | undefined {
    if (typeof raw === 'number' || parseLiteral(raw)) {
      const value = this.literal(path, raw, unit, what);
      return value === undefined ? undefined : { kind: 'fixed', value };
    }
    const compiled = compileExpression(raw, this.info, unit, {
      refused: this.data.refusedMetrics,
    });
    if (!compiled.ok) {
      this.report(path, compiled.errors);
      return undefined;
    }
    const expr = compiled.expression;
    if (expr.metrics.length > 0) return { kind: 'expr', expr };
    const value = evaluateNumber(expr, { value: () => undefined, window: () => undefined });
    if (value === undefined || !Number.isFinite(value)) {
      this.problems.add(path, `expected ${what} to be a finite number, got "${raw}"`);
      return undefined;
    }
    return { kind: 'fixed', value };
  }

  /** Places a period: the start of its span (`from`) or its end (a deadline). */
  period(path: Path, written: FilePeriod, as: 'start' | 'end'): PeriodAt | undefined {
    const placed = resolvePeriod(written.period, this.data.start, this.data.timezone);
    if (placed.ok)
      return { text: written.text, at: as === 'start' ? placed.span.start : placed.span.end };
    this.problems.add(
      path,
      placed.error === 'needs-start'
        ? `\`${written.text}\` counts from \`start\`, which this roadmap does not set (add a top-level start such as start: 2026-01-01)`
        : `\`${written.text}\` falls outside the years 1 to 9999`,
    );
    return undefined;
  }

  metrics(): Map<string, MetricDef> {
    const metrics = new Map<string, MetricDef>();
    for (const [name, m] of Object.entries(this.data.metrics)) {
      const derive =
        m.derive !== undefined ? this.condition(['metrics', name, 'derive'], m.derive) : undefined;
      if (m.derive !== undefined && m.source)
        this.problems.add(
          ['metrics', name, 'source'],
          'a derived metric is computed, so it cannot also have a source',
        );
      const every = m.source?.every;
      const sourcePath: Path = ['metrics', name, 'source'];
      const refusedSchedule =
        this.problems.wasDropped([...sourcePath, 'every']) ||
        this.problems.wasDropped([...sourcePath, 'cron']);
      if (m.source && every === undefined && m.source.cron === undefined && !refusedSchedule)
        this.problems.add(['metrics', name, 'source'], 'expected `every` (such as 1h) or `cron`');
      if (m.source?.cron !== undefined && !cronIsValid(m.source.cron))
        this.problems.add(
          ['metrics', name, 'source', 'cron'],
          `expected a cron expression such as "0 * * * *", got "${m.source.cron}"`,
        );
      if (every !== undefined && every < 10_000)
        this.problems.add(
          ['metrics', name, 'source', 'every'],
          'expected at least 10s between runs',
        );
      const stale = staleRule(m);
      metrics.set(name, {
        name,
        unit: m.unit,
        label: m.label ?? name,
        ...(derive ? { derive } : {}),
        staleAfterMs:
          stale.kind === 'after'
            ? stale.ms
            : stale.kind === 'never'
              ? null
              : LONGEST_PERIOD_MS[stale.cadence] + stale.graceMs,
        stale,
        ...(m.review ? { review: m.review } : {}),
        ...(m.source
          ? {
              source:
                m.source.sql !== undefined
                  ? {
                      kind: 'sql' as const,
                      sql: m.source.sql,
                      database: m.source.database,
                      everyMs: m.source.every,
                      cron: m.source.cron,
                    }
                  : {
                      kind: 'prometheus' as const,
                      query: m.source.prometheus,
                      url: m.source.url,
                      everyMs: m.source.every,
                      cron: m.source.cron,
                    },
            }
          : {}),
      });
    }
    checkDeriveCycles(this.problems, metrics);
    return metrics;
  }

  /** Stage ids and track ids share one namespace, and `budget` names budget alerts. */
  ids(): void {
    const { stages, tracks } = this.data;
    checkUnique(this.problems, stages, ['stages'], 'stage');
    checkUnique(this.problems, tracks, ['tracks'], 'track');
    const stageAt = new Map<string, number>();
    stages.forEach((s, index) => {
      if (s && !this.problems.idless.has(s) && !stageAt.has(s.id)) stageAt.set(s.id, index);
    });
    const reserved = (path: Path, what: string) =>
      this.problems.add(
        path,
        `"${RESERVED_ID}" is reserved (budget lines' alerts are named budget.<line>): give the ${what} another id`,
      );
    stages.forEach((s, index) => {
      if (s?.id === RESERVED_ID) reserved(['stages', index, 'id'], 'stage');
    });
    tracks.forEach((t, index) => {
      if (!t || this.problems.idless.has(t)) return;
      if (t.id === RESERVED_ID) reserved(['tracks', index, 'id'], 'track');
      const stage = stageAt.get(t.id);
      if (stage !== undefined)
        this.problems.add(
          ['tracks', index, 'id'],
          `"${t.id}" is already the id of stages[${stage}]: stage and track ids share one namespace (their alerts are <id>.upgrade)`,
        );
    });
  }

  stage(s: StageFile, index: number): Stage {
    const path: Path = ['stages', index];
    const gatesIn = s.gates;
    checkUnique(this.problems, gatesIn, [...path, 'gates'], 'gate');
    const gates: Gate[] = [];
    gatesIn.forEach((g, gi) => {
      if (!g) return;
      const check =
        g.check !== undefined
          ? this.condition([...path, 'gates', gi, 'check'], g.check)
          : undefined;
      gates.push({ id: g.id, text: g.text, ...(check ? { check } : {}) });
    });
    if (s.users?.max !== undefined && s.users.max < s.users.min)
      this.problems.add([...path, 'users'], 'expected [min, max] with min <= max');

    const planned = this.planned(s, path);
    const stage: Stage = {
      id: s.id,
      name: s.name,
      index,
      ...(s.users ? { users: s.users } : {}),
      ...(s.goal ? { goal: s.goal } : {}),
      actions: s.actions.flatMap((a) =>
        a === undefined ? [] : [typeof a === 'string' ? a : a.text],
      ),
      gates,
      ...(planned ? { planned } : {}),
      budgetLines: [],
      team: this.team(s, path),
      todos: this.todos(s, path),
    };
    if (s.budget?.form === 'v1') {
      const { min, max } = s.budget;
      if (min !== undefined && max !== undefined && max < min)
        this.problems.add([...path, 'budget'], 'expected min <= max');
      stage.budget = {
        ...(min !== undefined ? { min } : {}),
        ...(max !== undefined ? { max } : {}),
      };
      stage.budgetLines = [
        {
          id: 'infra',
          per: 'month',
          ...(min !== undefined ? { min: { kind: 'fixed', value: min } } : {}),
          ...(max !== undefined ? { max: { kind: 'fixed', value: max } } : {}),
          ...(this.info.has('infra_cost') ? { metric: 'infra_cost' } : {}),
          v1: true,
          watched: false,
        },
      ];
    } else if (s.budget?.form === 'lines') {
      stage.budgetLines = s.budget.lines.flatMap(({ id, line }) => {
        const built = line
          ? this.budgetLine([...path, 'budget', id], id, line, planned, s.planned)
          : undefined;
        return built ? [built] : [];
      });
    }

    if (s.upgrade) {
      if (index === this.data.stages.length - 1) {
        this.problems.add([...path, 'upgrade'], 'the last stage has no next stage to upgrade to', {
          severity: 'warning',
        });
      }
      const when = this.condition([...path, 'upgrade', 'when'], s.upgrade.when);
      const clearWhen =
        s.upgrade.clear_when !== undefined
          ? this.condition([...path, 'upgrade', 'clear_when'], s.upgrade.clear_when)
          : undefined;
      if (when) {
        stage.upgrade = {
          id: `${s.id}.upgrade`,
          kind: 'upgrade',
          when,
          forMs: s.upgrade.for ?? 0,
          ...(clearWhen ? { clearWhen } : {}),
          severity: s.upgrade.severity ?? 'warning',
          ...(s.upgrade.message ? { message: s.upgrade.message } : {}),
        };
      }
    }
    return stage;
  }

  private planned(s: StageFile, path: Path): Stage['planned'] {
    if (!s.planned) return undefined;
    const where: Path = [...path, 'planned'];
    const from = s.planned.from && this.period([...where, 'from'], s.planned.from, 'start');
    const to = s.planned.to && this.period([...where, 'to'], s.planned.to, 'end');
    if (from && to && from.at >= to.at)
      this.problems.add(
        where,
        `expected \`from\` (${from.text}) to begin before \`to\` (${to.text}) ends`,
      );
    return { ...(from ? { from } : {}), ...(to ? { to } : {}) };
  }

  private budgetLine(
    path: Path,
    id: string,
    line: BudgetLineFile,
    planned: Stage['planned'],
    written: StageFile['planned'],
  ): BudgetLine | undefined {
    const bound = (key: 'min' | 'max') => {
      const raw = line[key];
      return raw === undefined ? undefined : this.amount([...path, key], raw, 'usd', `\`${key}\``);
    };
    const min = bound('min');
    const max = bound('max');
    let ramp: BudgetLine['ramp'];
    if (line.ramp) {
      const [rawFrom, rawTo] = line.ramp;
      const from = this.literal([...path, 'ramp', 0], rawFrom, 'usd', 'a ramp value');
      const to = this.literal([...path, 'ramp', 1], rawTo, 'usd', 'a ramp value');
      if (line.max !== undefined)
        this.problems.add(
          [...path, 'ramp'],
          '`ramp` sets the maximum across the planned span: use `ramp` or `max`, not both',
        );
      // What the file does not write (a written but refused period is reported on its own).
      const stagePath = path.slice(0, -2);
      const lacks = (['from', 'to'] as const)
        .filter(
          (key) =>
            planned?.[key] === undefined &&
            !written?.[key] &&
            !this.problems.wasDropped([...stagePath, 'planned', key]) &&
            !this.problems.wasDropped([...stagePath, 'planned']),
        )
        .map((key) => `planned.${key}`);
      if (lacks.length > 0)
        this.problems.add(
          [...path, 'ramp'],
          `budget line "${id}": \`ramp\` grows across the stage's planned span, which needs ${lacks.join(' and ')} (this stage has no ${lacks.join(' and no ')})`,
        );
      if (from !== undefined && to !== undefined) ramp = { from, to };
    }
    const refused = (['min', 'max', 'ramp'] as const).some((key) =>
      this.problems.wasDropped([...path, key]),
    );
    if (line.min === undefined && line.max === undefined && line.ramp === undefined && !refused)
      this.problems.add(path, `budget line "${id}": expected \`min\`, \`max\` or \`ramp\``);
    for (const [key, amount] of [
      ['min', min],
      ['max', max],
    ] as const) {
      if (amount?.kind === 'fixed' && amount.value < 0)
        this.problems.add([...path, key], `expected an amount of at least 0, got ${amount.value}`);
    }
    if (min?.kind === 'fixed' && max?.kind === 'fixed' && max.value < min.value)
      this.problems.add(path, `budget line "${id}": expected min <= max`);
    if (min?.kind === 'fixed' && ramp && min.value > Math.min(ramp.from, ramp.to))
      this.problems.add(path, `budget line "${id}": expected min <= the ramp's values`);
    let metric: string | undefined;
    if (line.metric !== undefined && this.metricRef([...path, 'metric'], line.metric)) {
      const unit = this.info.get(line.metric)?.unit;
      if (unit === 'usd') metric = line.metric;
      else
        this.problems.add(
          [...path, 'metric'],
          `budget line "${id}" compares a usd metric; "${line.metric}" is in ${unit}`,
        );
    }
    return {
      id,
      per: line.per ?? 'month',
      ...(min ? { min } : {}),
      ...(max ? { max } : {}),
      ...(ramp ? { ramp } : {}),
      ...(metric ? { metric } : {}),
      v1: false,
      watched: metric !== undefined && (line.max !== undefined || line.ramp !== undefined),
    };
  }

  private team(s: StageFile, path: Path): TeamRole[] {
    const roles: TeamRole[] = [];
    s.team.forEach((r, ri) => {
      if (!r) return;
      const where: Path = [...path, 'team', ri];
      const when = r.when !== undefined ? this.condition([...where, 'when'], r.when) : undefined;
      if (r.metric !== undefined) this.metricRef([...where, 'metric'], r.metric);
      if (r.cost !== undefined && r.cost < 0)
        this.problems.add([...where, 'cost'], `expected a cost of at least 0, got ${r.cost}`);
      roles.push({
        role: r.role,
        count: r.count,
        ...(r.cost !== undefined ? { cost: r.cost } : {}),
        ...(r.metric !== undefined ? { metric: r.metric } : {}),
        ...(when ? { when } : {}),
      });
    });
    return roles;
  }

  /** Actions with an `id` are to-dos; action and gate ids share one namespace per stage. */
  private todos(s: StageFile, path: Path): Todo[] {
    const gateAt = new Map<string, number>();
    s.gates.forEach((g, gi) => {
      if (g && !this.problems.idless.has(g) && !gateAt.has(g.id)) gateAt.set(g.id, gi);
    });
    const todoAt = new Map<string, number>();
    const todos: Todo[] = [];
    s.actions.forEach((a, ai) => {
      if (a === undefined || typeof a === 'string') return;
      const where: Path = [...path, 'actions', ai];
      if (a.id === undefined) {
        if (a.when !== undefined || a.by !== undefined)
          this.problems.add(
            where,
            'an action with `when` or `by` is a to-do: give it an `id` (people tick it with check <id>)',
          );
        return;
      }
      if (!this.problems.idless.has(a)) {
        const gate = gateAt.get(a.id);
        const earlier = todoAt.get(a.id);
        if (gate !== undefined)
          this.problems.add(
            [...where, 'id'],
            `action id "${a.id}" repeats the gate id at ${pathText([...path, 'gates', gate])}: actions and gates share one namespace per stage (check <id> ticks either)`,
          );
        else if (earlier !== undefined)
          this.problems.add(
            [...where, 'id'],
            `duplicate action id "${a.id}" (first used at ${pathText([...path, 'actions', earlier])})`,
          );
        else todoAt.set(a.id, ai);
      }
      const when = a.when !== undefined ? this.condition([...where, 'when'], a.when) : undefined;
      const by = a.by && this.period([...where, 'by'], a.by, 'end');
      todos.push({ id: a.id, text: a.text, ...(when ? { when } : {}), ...(by ? { by } : {}) });
    });
    return todos;
  }

  alerts(stages: Stage[]): AlertRule[] {
    const alertsIn = this.data.alerts;
    checkUnique(this.problems, alertsIn, ['alerts'], 'alert');
    const upgradeIds = new Set(stages.map((s) => `${s.id}.upgrade`));
    const stageIds = new Set(
      this.data.stages.flatMap((s) => (s && !this.problems.idless.has(s) ? [s.id] : [])),
    );
    const alerts: AlertRule[] = [];
    alertsIn.forEach((a, index) => {
      if (!a) return;
      if (upgradeIds.has(a.id))
        this.problems.add(
          ['alerts', index, 'id'],
          `"${a.id}" is the id of a stage's upgrade trigger`,
        );
      a.stages?.forEach((id, si) => {
        if (!stageIds.has(id))
          this.problems.add(
            ['alerts', index, 'stages', si],
            `unknown stage "${id}" (stages: ${[...stageIds].join(', ') || 'none'})`,
          );
      });
      const when = this.condition(['alerts', index, 'when'], a.when);
      const clearWhen =
        a.clear_when !== undefined
          ? this.condition(['alerts', index, 'clear_when'], a.clear_when)
          : undefined;
      if (!when) return;
      alerts.push({
        id: a.id,
        kind: 'alert',
        when,
        forMs: a.for ?? 0,
        ...(clearWhen ? { clearWhen } : {}),
        severity: a.severity ?? 'warning',
        ...(a.message ? { message: a.message } : {}),
        ...(a.stages ? { stages: [...new Set(a.stages)] } : {}),
      });
    });
    return alerts;
  }

  targets(): Target[] {
    const targetsIn = this.data.targets;
    checkUnique(this.problems, targetsIn, ['targets'], 'target');
    const targets: Target[] = [];
    targetsIn.forEach((t, index) => {
      if (!t) return;
      const when = this.condition(['targets', index, 'when'], t.when);
      const deadline = t.by && this.period(['targets', index, 'by'], t.by, 'end');
      if (when)
        targets.push({
          id: t.id,
          when,
          ...(t.by !== undefined ? { by: t.by.text } : {}),
          ...(deadline ? { deadline: deadline.at } : {}),
          keep: t.keep ?? false,
        });
    });
    return targets;
  }

  track(t: TrackFile, index: number): Track {
    const path: Path = ['tracks', index];
    checkUnique(this.problems, t.steps, [...path, 'steps'], 'step');
    const steps: TrackStep[] = [];
    t.steps.forEach((st, si) => {
      if (!st) return;
      const where: Path = [...path, 'steps', si];
      if (si > 0 && st.when === undefined && !this.problems.wasDropped([...where, 'when']))
        this.problems.add(
          where,
          `step "${st.id}" needs \`when\`: only the first step (where the track starts) may leave it out`,
        );
      const when = st.when !== undefined ? this.condition([...where, 'when'], st.when) : undefined;
      const capacity: TrackStep['capacity'] = [];
      for (const [metric, raw] of Object.entries(st.capacity ?? {})) {
        if (!this.metricRef([...where, 'capacity'], metric, { key: metric })) continue;
        const unit = this.info.get(metric)?.unit as Unit;
        const limit = this.literal(
          [...where, 'capacity', metric],
          raw,
          unit,
          `the limit of ${metric}`,
        );
        if (limit === undefined) continue;
        if (limit <= 0) {
          this.problems.add(
            [...where, 'capacity', metric],
            `expected a limit above 0 for ${metric}, got ${limit}`,
          );
          continue;
        }
        capacity.push({ metric, limit });
      }
      if (st.cost !== undefined && st.cost < 0)
        this.problems.add([...where, 'cost'], `expected a cost of at least 0, got ${st.cost}`);
      steps.push({
        id: st.id,
        name: st.name,
        index: si,
        ...(when ? { when } : {}),
        capacity,
        ...(st.cost !== undefined ? { cost: st.cost } : {}),
      });
    });
    return { id: t.id, name: t.name, index, severity: t.severity ?? 'info', steps };
  }

  plans(): Plan[] {
    const plans: Plan[] = [];
    const seen = new Map<string, number>();
    this.data.plans.forEach((p, index) => {
      if (!p) return;
      const path: Path = ['plan', index];
      const known = this.metricRef([...path, 'metric'], p.metric);
      const byKnown = p.by === undefined || this.metricRef([...path, 'by'], p.by);
      if (p.by !== undefined && p.by === p.metric)
        this.problems.add(
          [...path, 'by'],
          `expected \`by\` to name another metric than ${p.metric}`,
        );
      const key = `${p.metric} by ${p.by ?? 'time'}`;
      const first = seen.get(key);
      if (first !== undefined)
        this.problems.add(
          path,
          `a second plan of ${key} (first at plan[${first}]): put alternatives in one plan's \`scenarios\``,
        );
      else seen.set(key, index);
      if (!known || !byKnown) return;
      const scenarios = p.scenarios.map((s) => this.scenario(p, s));
      plans.push({
        index,
        metric: p.metric,
        ...(p.by !== undefined ? { by: p.by } : {}),
        tolerance: p.tolerance ?? 0.1,
        scenarios,
      });
    });
    return plans;
  }

  private scenario(p: PlanFile, s: PlanFile['scenarios'][number]): PlanScenario {
    const unit = this.info.get(p.metric)?.unit as Unit;
    const byUnit = p.by !== undefined ? this.info.get(p.by)?.unit : undefined;
    const points: PlanPoint[] = [];
    let previous: { at: number; text: string } | undefined;
    s.points.forEach((point, pi) => {
      if (!point) return;
      const where: Path = [...s.path, pi];
      const at = this.pointAt([...where, 'at'], point.at, p.by, byUnit);
      const value = this.pointValue([...where, 'value'], point.value, unit, p.metric);
      if (at === undefined) return;
      if (previous && at.at <= previous.at)
        this.problems.add(
          [...where, 'at'],
          `expected \`at\` after the previous point's (${previous.text}): points' \`at\` strictly increase`,
        );
      previous = at;
      if (value) points.push({ at: at.at, atText: at.text, value });
    });
    return { ...(s.name !== undefined ? { name: s.name } : {}), points };
  }

  private pointAt(
    path: Path,
    raw: number | string | Date,
    by: string | undefined,
    byUnit: Unit | undefined,
  ): { at: number; text: string } | undefined {
    if (by === undefined) {
      if (typeof raw === 'number') {
        this.problems.add(
          path,
          `expected a period such as month 3 (this plan is by time; \`by: <metric>\` plans by another metric), got ${raw}`,
        );
        return undefined;
      }
      const parsed = parsePeriodField(raw);
      if (!parsed.ok) {
        this.problems.add(path, parsed.error);
        return undefined;
      }
      const placed = this.period(path, parsed.value, 'end');
      return placed && { at: placed.at.getTime(), text: placed.text };
    }
    if (raw instanceof Date) {
      this.problems.add(path, `expected a value of ${by} (this plan is by ${by}), got a date`);
      return undefined;
    }
    const at = this.literal(path, raw, byUnit as Unit, `a value of ${by}`);
    return at === undefined ? undefined : { at, text: String(raw) };
  }

  private pointValue(
    path: Path,
    raw: number | string | [number | string, number | string],
    unit: Unit,
    metric: string,
  ): PlanPoint['value'] | undefined {
    const what = `a value of ${metric}`;
    if (!Array.isArray(raw)) {
      const value = this.amount(path, raw, unit, what);
      return value && { kind: 'single', value };
    }
    const low = this.amount([...path, 0], raw[0], unit, what);
    const high = this.amount([...path, 1], raw[1], unit, what);
    if (!low || !high) return undefined;
    if (low.kind === 'fixed' && high.kind === 'fixed' && low.value > high.value)
      this.problems.add(path, 'expected a range [low, high] with low <= high');
    return { kind: 'range', low, high };
  }
}

/** A plan point's `at` when the plan is by time (the schema lets it be a period or a value). */
function parsePeriodField(
  raw: string | Date,
): { ok: true; value: FilePeriod } | { ok: false; error: string } {
  const parsed = parsePeriod(raw);
  if (!parsed.ok) return parsed;
  return {
    ok: true,
    value: {
      period: parsed.period,
      text: raw instanceof Date ? periodText(parsed.period) : raw,
    },
  };
}

/** Compiles a validated file into the model, reporting every problem to `problems`. */
export function build(file: string, data: RoadmapFile, problems: Problems): Roadmap {
  const b = new Builder(data, problems);
  const metrics = b.metrics();
  b.ids();
  if (data.users_metric !== undefined && !metrics.has(data.users_metric))
    problems.add(['users_metric'], `unknown metric "${data.users_metric}"`);
  const stages = data.stages.flatMap((s, index) => (s ? [b.stage(s, index)] : []));
  const alerts = b.alerts(stages);
  const targets = b.targets();
  const tracks = data.tracks.flatMap((t, index) => (t ? [b.track(t, index)] : []));
  const plans = b.plans();
  return {
    id: data.id,
    name: data.name,
    timezone: data.timezone,
    ...(data.start ? { start: data.start } : {}),
    approaching: data.approaching,
    forecastWindowMs: data.forecast_window ?? 28 * DAY,
    usersMetric: data.users_metric ?? 'active_users',
    metrics,
    stages,
    alerts,
    targets,
    tracks,
    plans,
    file,
  };
}
