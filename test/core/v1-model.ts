import { createHash } from 'node:crypto';
import type { Condition } from '../../src/core/condition/compile.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';

/**
 * The v1 parts of a compiled roadmap, picked field by field (fields added later are left
 * out), as plain JSON. Compiled conditions are their text, metrics and a hash of their
 * expression tree (literals converted, spans included), so any change in how they compile shows.
 * test/core/fixtures/v1-models.json holds this for every roadmap shipped before format v2,
 * as the loader of that time compiled them.
 */
export function v1Model(r: Roadmap): unknown {
  const cond = (c: Condition | undefined) =>
    c && {
      text: c.text,
      metrics: c.metrics,
      expr: createHash('sha256').update(JSON.stringify(c.expr)).digest('hex').slice(0, 16),
    };
  const model = {
    id: r.id,
    name: r.name,
    timezone: r.timezone,
    start: r.start,
    approaching: r.approaching,
    forecastWindowMs: r.forecastWindowMs,
    usersMetric: r.usersMetric,
    metrics: [...r.metrics.values()].map((m) => ({
      name: m.name,
      unit: m.unit,
      label: m.label,
      derive: cond(m.derive),
      staleAfterMs: m.staleAfterMs,
      source: m.source,
    })),
    stages: r.stages.map((s) => ({
      id: s.id,
      name: s.name,
      index: s.index,
      users: s.users,
      budget: s.budget,
      goal: s.goal,
      actions: s.actions,
      gates: s.gates.map((g) => ({ id: g.id, text: g.text, check: cond(g.check) })),
      upgrade: s.upgrade && {
        id: s.upgrade.id,
        kind: s.upgrade.kind,
        when: cond(s.upgrade.when),
        forMs: s.upgrade.forMs,
        clearWhen: cond(s.upgrade.clearWhen),
        severity: s.upgrade.severity,
        message: s.upgrade.message,
      },
    })),
    alerts: r.alerts.map((a) => ({
      id: a.id,
      kind: a.kind,
      when: cond(a.when),
      forMs: a.forMs,
      clearWhen: cond(a.clearWhen),
      severity: a.severity,
      message: a.message,
    })),
    targets: r.targets.map((t) => ({
      id: t.id,
      when: cond(t.when),
      by: t.by,
      deadline: t.deadline?.toISOString(),
    })),
  };
  return JSON.parse(JSON.stringify(model)) as unknown;
}
