import type { ParsedCommand } from '../../core/commands/parse.js';
import type { Forecast } from '../../core/forecast/forecast.js';
import { forecastJson } from '../../core/forecast/report.js';
import { comparisonLine, forecastText, targetIcon, unitsOf } from '../../core/messages/compose.js';
import type { Line, Message } from '../../core/messages/model.js';
import { formatDate } from '../../core/time.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { evaluateWithForecast, resolveRoadmap } from '../evaluate.js';
import { nowFrom } from './values.js';

/** `forecast`: every comparison of the current stage's trigger, the alerts and the targets, soonest first. */
export async function forecast(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const now = nowFrom(command.options.now, roadmap.timezone, deps.clock());
  const report = await evaluateWithForecast(deps, roadmap, now);
  const zone = roadmap.timezone;
  const units = unitsOf(report);
  const rows = report.triggers.flatMap((t) =>
    t.comparisons.map((c, i) => ({ owner: t.id, c, f: report.forecasts?.triggers.get(t.id)?.[i] })),
  );
  const etaOf = (f: Forecast | undefined) =>
    f?.status === 'eta' ? f.eta.getTime() : Number.POSITIVE_INFINITY;
  rows.sort((a, b) => etaOf(a.f) - etaOf(b.f));
  const lines: Line[] = rows
    .filter((r) => r.c.state !== 'met')
    .map((r) => {
      const line = comparisonLine(r.c, units);
      return {
        ...line,
        text: `${r.owner}: ${line.text}`,
        detail: forecastText(r.f, zone) ?? 'no forecast for this comparison',
      };
    });
  const reached = rows.filter((r) => r.c.state === 'met').map((r) => `${r.owner}: ${r.c.text}`);
  const targets: Line[] = report.targets.map((t) => {
    const o = report.forecasts?.targets.get(t.id)?.outlook;
    const state = o?.state ?? t.state;
    return {
      icon: targetIcon(state),
      text: `${t.id}: ${state.replace('_', ' ')}${t.deadline ? `, by ${formatDate(new Date(t.deadline.getTime() - 1), zone)}` : ''}`,
      detail: o?.eta
        ? `all parts reached by ${formatDate(o.eta, zone)}`
        : o
          ? o.reason.replaceAll('-', ' ')
          : t.condition,
    };
  });
  const message: Message = {
    title: `${roadmap.name}: forecast from the last ${Math.round(roadmap.forecastWindowMs / 86_400_000)} days`,
    subtitle: `${report.stage.name}; linear or exponential fit, whichever fits better`,
    tone: 'info',
    sections: [
      {
        title: 'Not yet reached, soonest first',
        lines: lines.length > 0 ? lines : [{ icon: 'ok', text: 'Every comparison already holds.' }],
      },
      ...(reached.length > 0
        ? [
            {
              title: 'Already reached',
              lines: reached.map((text) => ({ icon: 'met' as const, text })),
            },
          ]
        : []),
      ...(targets.length > 0 ? [{ title: 'Targets', lines: targets }] : []),
    ],
    fallback: `${roadmap.name}: forecast`,
  };
  const json = command.options.json
    ? {
        roadmap: { id: roadmap.id, name: roadmap.name },
        evaluated_at: now.toISOString(),
        comparisons: rows.map((r) => ({
          trigger: r.owner,
          metric: r.c.metric,
          op: r.c.op,
          threshold: r.c.threshold ?? null,
          value: r.c.value ?? null,
          state: r.c.state,
          ...forecastJson(r.f),
        })),
        targets: report.targets.map((t) => {
          const o = report.forecasts?.targets.get(t.id)?.outlook;
          return {
            id: t.id,
            state: o?.state ?? t.state,
            reason: o?.reason ?? null,
            eta: o?.eta?.toISOString() ?? null,
          };
        }),
      }
    : undefined;
  return {
    message,
    ...(json ? { json } : {}),
    exitCode: 0,
    public: command.options.public === true,
  };
}
