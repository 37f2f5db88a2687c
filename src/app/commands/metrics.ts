import type { ParsedCommand } from '../../core/commands/parse.js';
import { parseDurationLiteral } from '../../core/condition/parse.js';
import { formatDuration } from '../../core/duration.js';
import { infoMessage, metricHistoryMessage, metricsMessage } from '../../core/messages/compose.js';
import { formatValue } from '../../core/units.js';
import type { AppDeps, Attachment, Invocation, Reply } from '../context.js';
import { CommandError } from '../errors.js';
import { evaluateAt, FORECAST_BUCKET_MS, resolveRoadmap } from '../evaluate.js';
import { atFrom, metricFrom, nowFrom, valueFor } from './values.js';

const DAY = 86_400_000;
/** Longer windows reach outside what PostgreSQL's timestamps hold. */
const MAX_WINDOW_MS = 3650 * DAY;

/** `metrics [name] [--window 30d]`: latest values with change and sparkline, or one metric's history. */
export async function metrics(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const now = nowFrom(command.options.now, roadmap.timezone, deps.clock());
  const report = await evaluateAt(deps, roadmap, now);
  const windowText = typeof command.options.window === 'string' ? command.options.window : '30d';
  const windowMs = parseDurationLiteral(windowText);
  if (windowMs === undefined || windowMs <= 0 || windowMs > MAX_WINDOW_MS)
    throw new CommandError(
      'usage',
      `--window: expected a duration up to 3650d such as 7d or 30d, got "${windowText}"`,
    );
  const isPublic = command.options.public === true;

  const name = command.args.name;
  if (name !== undefined) {
    const def = metricFrom(roadmap, name);
    const metric = report.metrics.find((m) => m.name === def.name);
    if (!metric) throw new CommandError('not_found', `no metric "${name}"`);
    const history = def.derive
      ? []
      : await deps.store.points.history(roadmap.id, def.name, windowMs, 48, now);
    const message = metricHistoryMessage(
      roadmap.name,
      roadmap.timezone,
      metric,
      history,
      formatDuration(windowMs),
    );
    let attachments: Attachment[] | undefined;
    if (deps.charts && !def.derive) {
      const chartWindow = Math.max(windowMs, roadmap.forecastWindowMs);
      const histories = await deps.store.points.forecastHistories(
        roadmap.id,
        [def.name],
        chartWindow,
        FORECAST_BUCKET_MS,
        now,
      );
      const png = await deps.charts(report, def.name, histories.get(def.name) ?? [], {
        usersMetric: roadmap.usersMetric,
        windowMs: roadmap.forecastWindowMs,
        roadmap,
      });
      attachments = [
        {
          filename: `${def.name}.png`,
          contentType: 'image/png',
          bytes: png,
          title: `${metric.label}: history, thresholds and forecast`,
        },
      ];
    }
    return { message, exitCode: 0, public: isPublic, ...(attachments ? { attachments } : {}) };
  }

  const recorded = report.metrics.filter((m) => !m.derived).map((m) => m.name);
  const [before, series] = await Promise.all([
    deps.store.points.valuesAt(roadmap.id, recorded, [
      new Date(now.getTime() - DAY),
      new Date(now.getTime() - 7 * DAY),
    ]),
    Promise.all(recorded.map((m) => deps.store.points.history(roadmap.id, m, 7 * DAY, 14, now))),
  ]);
  const seriesByMetric = new Map(
    recorded.map((m, i) => [m, (series[i] ?? []).map((p) => p.value)]),
  );
  const rows = report.metrics.map((metric) => {
    const [dayAgo, weekAgo] = before.get(metric.name) ?? [];
    return {
      metric,
      ...(dayAgo !== undefined ? { dayAgo } : {}),
      ...(weekAgo !== undefined ? { weekAgo } : {}),
      series: seriesByMetric.get(metric.name) ?? [],
    };
  });
  return {
    message: metricsMessage(roadmap.name, roadmap.timezone, rows),
    exitCode: 0,
    public: isPublic,
  };
}

/** `record <metric> <value> [--at time]`: one point by hand. */
export async function record(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const metric = metricFrom(roadmap, command.args.metric as string);
  if (metric.derive)
    throw new CommandError(
      'invalid',
      `metric: ${metric.name} is derived (${metric.derive.text}); record its inputs instead`,
    );
  const value = valueFor(metric, command.args.value as string);
  const now = deps.clock();
  const at = atFrom(command.options.at, roadmap.timezone, now);
  await deps.store.points.record(
    [{ roadmapId: roadmap.id, metric: metric.name, value, at, source: 'manual' }],
    {
      actor: invocation.actor,
      roadmapId: roadmap.id,
      action: 'record',
      details: { metric: metric.name, value, at: at.toISOString() },
      at: now,
    },
  );
  return {
    message: infoMessage(
      `Recorded ${metric.label} = ${formatValue(value, metric.unit)} at ${at.toISOString()}`,
    ),
    exitCode: 0,
  };
}

/** `set <flag> yes|no`. */
export async function setFlag(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const metric = metricFrom(roadmap, command.args.flag as string);
  if (metric.unit !== 'flag')
    throw new CommandError(
      'invalid',
      `flag: ${metric.name} is in ${metric.unit}, not a flag; use record instead`,
    );
  const value = valueFor(metric, command.args.value as string);
  const now = deps.clock();
  await deps.store.points.record(
    [{ roadmapId: roadmap.id, metric: metric.name, value, at: now, source: 'manual' }],
    {
      actor: invocation.actor,
      roadmapId: roadmap.id,
      action: 'set',
      details: { flag: metric.name, value: value === 1 },
      at: now,
    },
  );
  return {
    message: infoMessage(`${metric.label} set to ${value === 1 ? 'yes' : 'no'}`),
    exitCode: 0,
  };
}
