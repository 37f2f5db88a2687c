import { describe, expect, it } from 'vitest';
import type { Report, RoadmapState } from '../../src/core/evaluate/report.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';
import { describeLedgerAgreement } from './fidelity-ledger.js';

/**
 * roadmaps/craudiovizai-stack.yaml walked through its document (seed 003, "CRAudioVizAI —
 * Technology Stack Roadmap"): each test names the document line whose number it checks.
 */

const roadmap = shippedRoadmap('craudiovizai-stack');
const NOW = new Date('2026-03-02T15:00:00Z');

function evaluate(
  stage: string,
  values: Record<string, number | boolean>,
  state: Partial<RoadmapState> = {},
): Report {
  return evaluateRoadmap(
    roadmap,
    snapshotOf(roadmap, values, new Date(NOW.getTime() - 60_000)),
    { ...stateIn(stage), ...state },
    NOW,
  );
}

const trigger = (r: Report, id: string) => r.triggers.find((t) => t.id === id)?.state;

describe('craudiovizai-stack: the stacks move on at their triggers, and not before', () => {
  it('lean → near-term on early revenue or initial grants (doc L28)', () => {
    const none = { early_revenue: false, initial_grants: false };
    expect(trigger(evaluate('lean', none), 'lean.upgrade')).toBe('ok');
    expect(trigger(evaluate('lean', { ...none, early_revenue: true }), 'lean.upgrade')).toBe(
      'firing',
    );
    expect(trigger(evaluate('lean', { ...none, initial_grants: true }), 'lean.upgrade')).toBe(
      'firing',
    );
  });

  it('near-term → mid-term on >1,000 MAUs or >100 SMBs, strictly over (doc L39)', () => {
    const at = (mau: number, smb_customers: number) =>
      trigger(evaluate('near-term', { mau, smb_customers }), 'near-term.upgrade');
    expect(at(1000, 100)).not.toBe('firing');
    expect(at(1001, 100)).toBe('firing');
    expect(at(1000, 101)).toBe('firing');
  });

  it('mid-term → long-term on >10K MAUs or enterprise contracts (doc L50)', () => {
    const at = (mau: number, enterprise_contracts: boolean) =>
      trigger(evaluate('mid-term', { mau, enterprise_contracts }), 'mid-term.upgrade');
    expect(at(10000, false)).not.toBe('firing');
    expect(at(10001, false)).toBe('firing');
    expect(at(2000, true)).toBe('firing');
  });

  it('keeps the document timezone (doc L4 "(America/New_York)")', () => {
    expect(roadmap.timezone).toBe('America/New_York');
  });
});

describe('craudiovizai-stack: cost discipline (doc L62 "Only scale infra when revenue/grants support")', () => {
  it.each(['near-term', 'mid-term', 'long-term'])(
    'in the %s stack infra spend stays within revenue plus grants',
    (stage) => {
      const within = evaluate(stage, { infra_cost: 1000, mrr: 600, grant_income: 400 });
      expect(within.budget).toMatchObject({ max: 1000, cost: 1000, state: 'within' });
      expect(trigger(within, 'budget.infra')).not.toBe('firing');
      const over = evaluate(stage, { infra_cost: 1001, mrr: 600, grant_income: 400 });
      expect(over.budget?.state).toBe('over');
      expect(trigger(over, 'budget.infra')).toBe('firing');
      // Grants alone can carry it (doc L28: the near-term stack may start on grants).
      expect(evaluate(stage, { infra_cost: 300, mrr: 0, grant_income: 500 }).budget?.state).toBe(
        'within',
      );
    },
  );

  it('does not hold the lean stack to it: nothing is being scaled yet', () => {
    const report = evaluate('lean', { infra_cost: 50, mrr: 0, grant_income: 0 });
    expect(report.budget).toBeUndefined();
    expect(trigger(report, 'budget.infra')).toBeUndefined();
  });

  it('does not guess without revenue figures', () => {
    const report = evaluate('near-term', { infra_cost: 200 });
    expect(report.budget?.state).toBe('unknown');
    expect(trigger(report, 'budget.infra')).toBe('unknown');
  });
});

describe('craudiovizai-stack: the hourly ingest (doc L18 "Hostinger cron for hourly ingest pipeline")', () => {
  it('24 runs a day is on schedule; 23 is a missed run', () => {
    const onSchedule = evaluate('lean', { ingest_runs_24h: 24 });
    expect(trigger(onSchedule, 'ingest-missed-runs')).toBe('ok');
    expect(onSchedule.metrics.find((m) => m.name === 'ingest_missed_runs')?.value).toBe(0);
    expect(trigger(evaluate('lean', { ingest_runs_24h: 23 }), 'ingest-missed-runs')).toBe('firing');
    // In every stack: the pipeline runs whatever the hosting.
    expect(trigger(evaluate('long-term', { ingest_runs_24h: 20 }), 'ingest-missed-runs')).toBe(
      'firing',
    );
  });

  it('says nothing until the run count is pushed', () => {
    expect(trigger(evaluate('lean', {}), 'ingest-missed-runs')).toBe('unknown');
  });
});

describe('craudiovizai-stack: the stack items are to-dos a person ticks', () => {
  it("lists each horizon's items as open until ticked, and they never block advance", () => {
    const report = evaluate('near-term', {});
    // doc L29-35: seven items of the near-term stack
    expect(report.actions.map((a) => [a.id, a.state])).toEqual(
      ['storage-s3', 'vector-db', 'observability', 'payments', 'crm', 'automation', 'security'].map(
        (id) => [id, 'open'],
      ),
    );
    const ticked = evaluate(
      'near-term',
      {},
      { todoChecks: new Map([['storage-s3', { done: true, actor: 'roy', at: NOW }]]) },
    );
    expect(ticked.actions.find((a) => a.id === 'storage-s3')?.state).toBe('done');
    expect(report.gates).toEqual([]);
  });
});

describeLedgerAgreement('craudiovizai-stack');
