import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../src/core/condition/compile.js';
import { formatProblem, loadRoadmap } from '../../src/core/roadmap/load.js';
import { ROADMAPS_DIR } from '../support/roadmaps.js';

/**
 * A metric refused for its own problems is reported once, where it is declared: the
 * conditions that use it fail without an "unknown metric" problem each. The loader knows
 * which references those are from the compiler's options, not from the wording of its errors.
 */
describe('a refused metric', () => {
  it('is reported where it is declared, not again as unknown in every condition using it', () => {
    const text = readFileSync(path.join(ROADMAPS_DIR, 'oviya.yaml'), 'utf8').replace(
      'response_time_p95: { unit: ms,',
      'response_time_p95: { unit: msec,',
    );
    const result = loadRoadmap('oviya.yaml', text);
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.errors.map(formatProblem);
    expect(problems.some((p) => /metrics\.response_time_p95\.unit: expected a unit/.test(p))).toBe(
      true,
    );
    expect(problems.filter((p) => p.includes('unknown metric'))).toEqual([]);
  });

  it('fails a compile silently; any other unknown metric is still named', () => {
    const metrics = new Map([['users', { unit: 'count' as const, derived: false }]]);
    const refused = new Set(['latency']);
    expect(compileCondition('latency > 2s', metrics, { refused })).toEqual({
      ok: false,
      errors: [],
    });
    const both = compileCondition('latency > 2s or userz > 1', metrics, { refused });
    expect(both.ok).toBe(false);
    if (!both.ok)
      expect(both.errors.map((e) => e.message)).toEqual([
        'unknown metric "userz" (declared: users)',
      ]);
  });
});
