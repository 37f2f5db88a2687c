/* global performance */
/**
 * One restart of bench/cold.ts: the first status on `pool`, then `warm` more, through the
 * command layer. Before it, the pool answers a first `SELECT 1` (what the bench measured before
 * the warm-up existed), or, for `warmed`, the bot's boot warm-up runs as src/main.ts runs it
 * (its duration reported). Plain JavaScript, so that bench/cold.ts (in-process, on the sources)
 * and bench/cold-child.mjs (a new process on the compiled build, without tsx) run the same
 * steps; `m` is the modules' functions, from src/ or dist/.
 */
const invocation = { actor: { platform: 'cli', id: 'bench' }, isAdmin: true };

export async function oneRestart(m, pool, registry, source, warm, opts) {
  m.forecastFits.clear();
  const store = m.pgStore(pool, source === 'points' ? { rollups: false } : {});
  let clockAt = opts.dataEnd;
  const deps = { store, registry, clock: () => new Date(clockAt) };
  let warmUpMs;
  if (source === 'warmed') {
    clockAt -= opts.leadMs;
    const done = await m.warmUp(
      {
        ...deps,
        logger: { info: () => undefined, warn: (_details, message) => opts.log(message) },
        connections: (count, prime) => m.warmConnections(pool, count, prime),
      },
      { connections: opts.connections, timeoutMs: 10_000 },
    );
    if (done.outcome !== 'done') throw new Error(`warm-up ${done.outcome}`);
    warmUpMs = done.ms;
    clockAt = opts.dataEnd;
  } else await pool.query('SELECT 1');
  const once = async () => {
    const started = performance.now();
    const reply = await m.runCommand(deps, invocation, 'status --json', 'cli');
    const elapsed = performance.now() - started;
    if (reply.exitCode !== 0) throw new Error(`status failed: ${JSON.stringify(reply.message)}`);
    return elapsed;
  };
  const first = await once();
  const times = [];
  for (let i = 0; i < warm; i++) times.push(await once());
  store.rollups?.stop();
  return { first, warm: times, ...(warmUpMs !== undefined ? { warmUp: warmUpMs } : {}) };
}
