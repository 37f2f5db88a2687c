/* global process, performance */
/**
 * bench/cold.ts's `new process` restart run as the bot runs: plain Node on the compiled build
 * (dist/, what `npm start` and the Dockerfile run), no tsx, whose loader would also compile
 * the modules a first status loads lazily. The same steps as oneRestart in bench/cold.ts (keep
 * them in step): a pool as src/main.ts creates it, then a first `SELECT 1` (`rollups`,
 * `points`: what the bench measured before the warm-up) or the bot's boot warm-up
 * (`warmed`), then the first status, then COLD_CHILD_WARM more. Prints one JSON line.
 */
import { createPool } from '../dist/adapters/pg/pool.js';
import { pgStore } from '../dist/adapters/pg/store.js';
import { warmConnections } from '../dist/adapters/pg/warm-up.js';
import { forecastFits } from '../dist/app/evaluate.js';
import { RoadmapRegistry } from '../dist/app/registry.js';
import { runCommand } from '../dist/app/run.js';
import { warmUp } from '../dist/app/warm-up.js';

const env = process.env;
const source = env.COLD_CHILD_SOURCE;
const dataEnd = Number(env.COLD_CHILD_DATA_END);
const connections = Number(env.COLD_CHILD_CONNECTIONS);
const invocation = { actor: { platform: 'cli', id: 'bench' }, isAdmin: true };

const registry = new RoadmapRegistry(env.COLD_CHILD_ROADMAPS);
await registry.reload();
const pool = createPool(env.COLD_CHILD_URL, {
  applicationName: 'roadmap-bot bench cold',
  onError: () => {},
  ...(source === 'warmed' ? { min: connections } : {}),
});
try {
  forecastFits.clear();
  const store = pgStore(pool, source === 'points' ? { rollups: false } : {});
  let clockAt = dataEnd;
  const deps = { store, registry, clock: () => new Date(clockAt) };
  let warmUpMs;
  if (source === 'warmed') {
    clockAt -= Number(env.COLD_CHILD_WARM_UP_LEAD_MS);
    const done = await warmUp(
      {
        ...deps,
        logger: {
          info: () => {},
          warn: (_details, message) => process.stderr.write(`${message}\n`),
        },
        connections: (count, prime) => warmConnections(pool, count, prime),
      },
      { connections, timeoutMs: 10_000 },
    );
    if (done.outcome !== 'done') throw new Error(`warm-up ${done.outcome}`);
    warmUpMs = done.ms;
    clockAt = dataEnd;
  } else await pool.query('SELECT 1');
  const once = async () => {
    const started = performance.now();
    const reply = await runCommand(deps, invocation, 'status --json', 'cli');
    const elapsed = performance.now() - started;
    if (reply.exitCode !== 0) throw new Error(`status failed: ${JSON.stringify(reply.message)}`);
    return elapsed;
  };
  const first = await once();
  const warm = [];
  for (let i = 0; i < Number(env.COLD_CHILD_WARM); i++) warm.push(await once());
  store.rollups?.stop();
  process.stdout.write(
    `${JSON.stringify({ first, warm, ...(warmUpMs !== undefined ? { warmUp: warmUpMs } : {}) })}\n`,
  );
} finally {
  await pool.end();
}
