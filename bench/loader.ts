/**
 * The roadmap loader's time on a mapping of many keys: 6,000 keys against 1,500 in the same
 * run, five rounds, load average beside each. Linear work takes about 4 times as long;
 * quadratic (what this once was) 16 times. `npx tsx bench/loader.ts`
 */
import os from 'node:os';
import { loadRoadmap } from '../src/core/roadmap/load.js';
import { manyKeys } from '../test/property/many-keys.js';
import { numberEnv } from './env.js';

const ROUNDS = numberEnv('LOADER_ROUNDS', 5, { integer: true, positive: true });

function time(text: string): number {
  const started = performance.now();
  if (!loadRoadmap('keys.yaml', text).ok) throw new Error('the bench roadmap does not load');
  return performance.now() - started;
}

const small = manyKeys(1500);
const large = manyKeys(6000);
time(manyKeys(500)); // warm up the parser and the schemas
const ratios: number[] = [];
for (let round = 1; round <= ROUNDS; round++) {
  const base = Math.min(time(small), time(small), time(small));
  const big = time(large);
  ratios.push(big / base);
  console.log(
    `round ${round}: 1,500 keys ${base.toFixed(1)} ms, 6,000 keys ${big.toFixed(1)} ms, ratio ${(big / base).toFixed(2)} (linear 4, quadratic 16), load ${os.loadavg()[0]?.toFixed(2)}`,
  );
}
console.log(
  `ratio range ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}: ${Math.max(...ratios) < 8 ? 'linear' : 'NOT linear'}`,
);
