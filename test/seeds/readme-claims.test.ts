import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { shippedRoadmap } from '../support/roadmaps.js';
import { ledgerSummary } from './fidelity-ledger.js';

/*
 * What the README says about each seed ("Shipped examples") is what its ledger counts: the
 * captured and counted commitments, and the share where it gives one. A ledger recounted
 * without the README (or the reverse) fails here.
 */
const README = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const SEEDS = ['oviya', 'mirai', 'cr-audioviz-ai', 'craudiovizai-stack', 'storytailor'];

function readmeRow(id: string): string {
  const row = README.split('\n').find((l) => l.startsWith(`| \`roadmaps/${id}.yaml\` |`));
  if (!row) throw new Error(`README has no "Shipped examples" row for roadmaps/${id}.yaml`);
  return row;
}

describe("the README's claims about the seeds match their ledgers", () => {
  it.each(SEEDS)('%s: captured of counted, and the share', (id) => {
    const row = readmeRow(id);
    const ledger = ledgerSummary(id);
    const claim =
      /\(\[ledger\]\(docs\/seeds\/([\w-]+)\.md\): (\d+) of (\d+)(?:[^,)]*)?(?:, (\d+)%)?\)/.exec(
        row,
      );
    expect(claim, `README row of ${id} names its ledger and counts`).not.toBeNull();
    const [, file, captured, counted, share] = claim as RegExpExecArray;
    expect(file).toBe(id);
    expect({ captured: Number(captured), counted: Number(counted) }).toEqual({
      captured: ledger.captured,
      counted: ledger.counted,
    });
    if (share !== undefined)
      expect(Number(share)).toBe(Math.round((100 * ledger.captured) / ledger.counted));
  });

  it("cr-audioviz-ai: the number of stages the README gives is the file's", () => {
    // The README once said "four phases" for a file with five stages.
    const words = ['one', 'two', 'three', 'four', 'five', 'six', 'seven'];
    const stages = shippedRoadmap('cr-audioviz-ai').stages.length;
    expect(readmeRow('cr-audioviz-ai')).toContain(`${words[stages - 1] ?? stages} stages`);
  });
});
