/* global process */
/**
 * bench/cold.ts's `new process` restart run as the bot runs: plain Node on the compiled build
 * (dist/, what `npm start` and the Dockerfile run), no tsx, whose loader would also compile
 * the modules a first status loads lazily. A pool as src/main.ts creates it, then the steps of
 * bench/cold-restart.mjs (the same as bench/cold.ts runs in-process). Prints one JSON line.
 */
import { createPool } from '../dist/adapters/pg/pool.js';
import { pgStore } from '../dist/adapters/pg/store.js';
import { warmConnections } from '../dist/adapters/pg/warm-up.js';
import { forecastFits } from '../dist/app/evaluate.js';
import { RoadmapRegistry } from '../dist/app/registry.js';
import { runCommand } from '../dist/app/run.js';
import { warmUp } from '../dist/app/warm-up.js';
import { oneRestart } from './cold-restart.mjs';

const env = process.env;
const source = env.COLD_CHILD_SOURCE;
const connections = Number(env.COLD_CHILD_CONNECTIONS);

const registry = new RoadmapRegistry(env.COLD_CHILD_ROADMAPS);
await registry.reload();
const pool = createPool(env.COLD_CHILD_URL, {
  applicationName: 'roadmap-bot bench cold',
  onError: () => {},
  ...(source === 'warmed' ? { min: connections } : {}),
});
try {
  const result = await oneRestart(
    { pgStore, warmConnections, forecastFits, runCommand, warmUp },
    pool,
    registry,
    source,
    Number(env.COLD_CHILD_WARM),
    {
      dataEnd: Number(env.COLD_CHILD_DATA_END),
      leadMs: Number(env.COLD_CHILD_WARM_UP_LEAD_MS),
      connections,
      log: (line) => process.stderr.write(`${line}\n`),
    },
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await pool.end();
}
