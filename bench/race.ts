/**
 * `npx tsx bench/race.ts [--trials 20]`: a metric flips past an alert's threshold, and the
 * race is to the notification. The same flip, at the same instant, reaches:
 *
 *   - the bot (`node --import tsx src/main.ts`, its own process, on a fresh bench database),
 *     as one point through the push API; its alert goes to a fake Slack (chat.postMessage)
 *     served by this process;
 *   - a real Prometheus (Debian's `prometheus`) scraping a tiny exporter served by this
 *     process every 15 s, with the same alert rule in two groups, evaluated every 15 s and
 *     every 1 m, sending to a real Alertmanager (Debian's `prometheus-alertmanager`, group_wait
 *     30 s, its default) whose webhook receiver is this process.
 *
 * Each trial: the exporter's value and the pushed point go from 0 to 100 at instant t0; the
 * figure is t0 → the notification's arrival, stamped on this process's clock. Then both go
 * back to 0 (a new `trial` label per trial, so each Alertmanager group is new and waits its
 * group_wait, as a user's first alert does), and a random pause of up to RACE_PAUSE_MS puts
 * the next flip at a random phase of the scrape and evaluation cycles.
 *
 * Goals (issue 16): the bot's p99 < 2 s, and its p50 ≥ 20× lower than Prometheus +
 * Alertmanager's (evaluation 15 s).
 *
 *   --trials 20 / RACE_TRIALS=20   trials (a quick check: --trials 3, about 5 minutes)
 *   RACE_PAUSE_MS=60000            the longest random pause between trials
 *   RACE_TRIAL_TIMEOUT_MS=240000   a path with no notification by then counts as missed
 *   DATABASE_URL=…                 use that server (a fresh roadmap_bench_<random> database)
 *
 * The two Debian packages are installed with apt-get when missing (as root; otherwise the
 * bench says what to install). Loopback only. Progress to stderr, the table to stdout, figures
 * to bench/.out/race.json.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createPool } from '../src/adapters/pg/pool.js';
import { pgStore } from '../src/adapters/pg/store.js';
import { pgTokens } from '../src/adapters/pg/tokens.js';
import { RoadmapRegistry } from '../src/app/registry.js';
import { runCommand } from '../src/app/run.js';
import { openBenchDatabase, type BenchDatabase } from './db.js';
import { numberEnv } from './env.js';
import { percentiles, type Percentiles } from './http-loader.js';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('./.out/', import.meta.url));
const PROMETHEUS = '/usr/bin/prometheus';
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const GOAL_P99_MS = 2_000;
const GOAL_RATIO = 20;
const CHANNEL = 'C0RACE';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const loadAverage = (): number => Number((os.loadavg()[0] ?? 0).toFixed(2));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const ROADMAP = `id: race
name: Race
timezone: UTC
start: 2026-01-01
metrics:
  race_value: { unit: count, label: Race value }
stages:
  - id: only
    name: The only stage
alerts:
  - id: race-high
    when: race_value > 50
    severity: critical
    message: race_value is above 50.
`;

/** The same rule twice: a group evaluated every 15 s and one every minute. */
const RULES = `groups:
  - name: race-15s
    interval: 15s
    rules:
      - alert: RaceHigh15s
        expr: race_value > 50
  - name: race-1m
    interval: 1m
    rules:
      - alert: RaceHigh1m
        expr: race_value > 50
`;

const PATHS = [
  { id: 'bot', label: 'roadmap-bot (push API → Slack)' },
  {
    id: 'RaceHigh15s',
    label: 'Prometheus (scrape 15 s, evaluation 15 s) + Alertmanager (group_wait 30 s)',
  },
  {
    id: 'RaceHigh1m',
    label: 'Prometheus (scrape 15 s, evaluation 1 m) + Alertmanager (group_wait 30 s)',
  },
] as const;
type PathId = (typeof PATHS)[number]['id'];

function trialsSetting(): number {
  const i = process.argv.indexOf('--trials');
  if (i >= 0) {
    const n = Number(process.argv[i + 1]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--trials: expected a positive integer`);
    return n;
  }
  return numberEnv('RACE_TRIALS', 20, { integer: true, positive: true });
}

// ---------------------------------------------------------------------------------------------
// The Debian packages.

async function ensurePackages(): Promise<void> {
  const missing = [
    ['prometheus', PROMETHEUS],
    ['prometheus-alertmanager', ALERTMANAGER],
  ].filter(([, bin]) => !existsSync(bin as string));
  if (missing.length === 0) return;
  const names = missing.map(([name]) => name as string);
  const canInstall = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get');
  if (!canInstall)
    throw new Error(
      `the race needs Debian's ${names.join(' and ')}: sudo apt-get install --no-install-recommends ${names.join(' ')}`,
    );
  log(`installing ${names.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await execFileAsync('apt-get', ['update', '-qq'], { env });
  await execFileAsync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], {
    env,
  });
}

// ---------------------------------------------------------------------------------------------
// What this process serves: the exporter, Alertmanager's webhook receiver, the fake Slack.

async function serve(
  handler: http.RequestListener,
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString()));
    req.on('error', reject);
  });
}

/** First arrivals, by key, on this process's clock; and promises of them. */
class Arrivals {
  private readonly at = new Map<string, number>();
  private readonly waiters = new Map<string, (ms: number) => void>();
  stamp(key: string): void {
    if (this.at.has(key)) return;
    const now = performance.now();
    this.at.set(key, now);
    this.waiters.get(key)?.(now);
  }
  /** Resolves with the arrival (ms on performance.now()), or undefined after `timeoutMs`. */
  wait(key: string, timeoutMs: number): Promise<number | undefined> {
    const seen = this.at.get(key);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.waiters.set(key, (ms) => {
        clearTimeout(timer);
        resolve(ms);
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Processes.

interface Proc {
  child: ChildProcess;
  logs: () => string;
  stop(): Promise<void>;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Proc {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  const keep = (d: Buffer): void => {
    logs += d.toString();
    if (logs.length > 1_000_000) logs = logs.slice(-500_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    logs: () => logs,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function until<T>(
  what: string,
  proc: Proc | undefined,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (proc && proc.child.exitCode !== null)
      throw new Error(
        `${what}: the process exited with ${proc.child.exitCode}:\n${proc.logs().slice(-2000)}`,
      );
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not within ${timeoutMs / 1000} s${proc ? `:\n${proc.logs().slice(-2000)}` : ''}`,
      );
    await sleep(200);
  }
}

const ok = async (url: string): Promise<true | undefined> =>
  (await fetch(url)).ok ? true : undefined;

async function freePort(): Promise<number> {
  const { server, port } = await serve(() => {});
  await new Promise((r) => server.close(r));
  return port;
}

// ---------------------------------------------------------------------------------------------

interface TrialResult {
  trial: number;
  /** t0 → notification, ms; null when it did not come within the timeout. */
  ms: Record<PathId, number | null>;
  loadAverage: number;
}

async function main(): Promise<void> {
  const trials = trialsSetting();
  const pauseMs = numberEnv('RACE_PAUSE_MS', 60_000);
  const trialTimeoutMs = numberEnv('RACE_TRIAL_TIMEOUT_MS', 240_000, { positive: true });
  await ensurePackages();

  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const fn of cleanups.reverse())
      await fn().catch((e: Error) => log(`cleanup: ${e.message}`));
    cleanups.length = 0;
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

  try {
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-race-'));
    cleanups.push(() => rm(tmp, { recursive: true, force: true }));
    const db: BenchDatabase = await openBenchDatabase(log);
    cleanups.push(() => db.close());
    log(`database: ${db.kind}, ${db.serverVersion.split(',')[0]}`);

    // The bot's roadmap, alert subscription and push token, set up as an operator would.
    const roadmaps = path.join(tmp, 'roadmaps');
    await mkdir(roadmaps);
    await writeFile(path.join(roadmaps, 'race.yaml'), ROADMAP);
    const pool = createPool(db.url, { max: 2, applicationName: 'roadmap-bot race bench' });
    cleanups.push(() => pool.end());
    const registry = new RoadmapRegistry(roadmaps);
    await registry.reload();
    const deps = { store: pgStore(pool), registry, clock: () => new Date() };
    const subscribed = await runCommand(
      deps,
      { actor: { platform: 'cli', id: 'bench' }, isAdmin: true },
      `subscribe alerts --channel slack:${CHANNEL} --roadmap race`,
      'cli',
    );
    if (subscribed.exitCode !== 0)
      throw new Error(`subscribe failed: ${JSON.stringify(subscribed.message)}`);
    const { token } = await pgTokens(pool).create('race', ['race'], 'bench', new Date());

    // The exporter: race_value{trial} for the live trial (a series that goes away is stale at
    // Prometheus's next scrape).
    const series = new Map<number, number>();
    let scrapes = 0;
    const exporter = await serve((_req, res) => {
      scrapes++;
      res.setHeader('content-type', 'text/plain; version=0.0.4');
      res.end(
        `# TYPE race_value gauge\n${[...series].map(([t, v]) => `race_value{trial="${t}"} ${v}\n`).join('')}`,
      );
    });
    cleanups.push(() => new Promise((r) => exporter.server.close(r)));

    const arrivals = new Arrivals();
    // Alertmanager's webhook: the first firing notification of each alert and trial.
    const webhook = await serve((req, res) => {
      void body(req).then((raw) => {
        const payload = JSON.parse(raw) as {
          alerts?: { status?: string; labels?: Record<string, string> }[];
        };
        for (const alert of payload.alerts ?? [])
          if (alert.status === 'firing')
            arrivals.stamp(`${alert.labels?.alertname}:${alert.labels?.trial}`);
        res.end('ok');
      });
    });
    cleanups.push(() => new Promise((r) => webhook.server.close(r)));

    // The fake Slack: auth.test says who the bot is; posts are stamped by what they say.
    let botTrial = 0;
    let posts = 0;
    const slack = await serve((req, res) => {
      void body(req).then((raw) => {
        const method = /^\/api\/([\w.]+)/.exec(req.url ?? '')?.[1] ?? '?';
        res.setHeader('content-type', 'application/json');
        if (method === 'auth.test') {
          res.end(
            JSON.stringify({ ok: true, team_id: 'T0RACE', user_id: 'U0BOT', bot_id: 'B0BOT' }),
          );
          return;
        }
        if (method === 'chat.postMessage') {
          const fields = (req.headers['content-type'] ?? '').includes('json')
            ? (JSON.parse(raw) as Record<string, string>)
            : Object.fromEntries(new URLSearchParams(raw));
          const text = String(fields.text ?? '');
          if (/race-high/.test(text) && /firing/.test(text) && !/still firing/.test(text))
            arrivals.stamp(`bot:${botTrial}`);
          if (/race-high/.test(text) && /resolved/.test(text))
            arrivals.stamp(`bot-resolved:${botTrial}`);
        }
        res.end(
          JSON.stringify({
            ok: true,
            channel: CHANNEL,
            ts: `1700000000.${String(++posts).padStart(6, '0')}`,
          }),
        );
      });
    });
    cleanups.push(() => new Promise((r) => slack.server.close(r)));

    // Alertmanager and Prometheus, default-like: group_wait 30 s, scrape 15 s.
    const amPort = await freePort();
    await writeFile(
      path.join(tmp, 'alertmanager.yml'),
      `route:
  receiver: bench
  group_by: [alertname, trial]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: bench
    webhook_configs:
      - url: http://127.0.0.1:${webhook.port}/
        send_resolved: false
`,
    );
    const alertmanager = start(
      ALERTMANAGER,
      [
        `--config.file=${path.join(tmp, 'alertmanager.yml')}`,
        `--storage.path=${path.join(tmp, 'am-data')}`,
        `--web.listen-address=127.0.0.1:${amPort}`,
        '--cluster.listen-address=',
      ],
      process.env,
      tmp,
    );
    cleanups.push(() => alertmanager.stop());
    const promPort = await freePort();
    await writeFile(path.join(tmp, 'rules.yml'), RULES);
    await writeFile(
      path.join(tmp, 'prometheus.yml'),
      `global:
  scrape_interval: 15s
  evaluation_interval: 15s
rule_files: [${JSON.stringify(path.join(tmp, 'rules.yml'))}]
alerting:
  alertmanagers:
    - static_configs: [{ targets: ['127.0.0.1:${amPort}'] }]
scrape_configs:
  - job_name: race
    static_configs: [{ targets: ['127.0.0.1:${exporter.port}'] }]
`,
    );
    const prometheus = start(
      PROMETHEUS,
      [
        `--config.file=${path.join(tmp, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(tmp, 'prom-data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      process.env,
      tmp,
    );
    cleanups.push(() => prometheus.stop());

    // The bot: its own settings only (nothing from a developer's shell that would turn on
    // Discord, a simulated clock or other limits).
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) =>
          !/^(SLACK_|DISCORD_|CLOCK_|API_|WEB_|PRODUCT_DATABASE_URL$|DATABASE_URL$|PORT$|HOST$|ROADMAPS_DIR$|DATA_DIR$)/.test(
            k,
          ),
      ),
    );
    const bot = start(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/main.ts')], {
      ...clean,
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      ROADMAPS_DIR: roadmaps,
      DATA_DIR: path.join(tmp, 'bot-data'),
      SLACK_BOT_TOKEN: 'xoxb-race-bench',
      SLACK_SIGNING_SECRET: 'race-bench-secret',
      SLACK_API_URL: `http://127.0.0.1:${slack.port}/api/`,
      REPLICA_ID: 'race',
    });
    cleanups.push(() => bot.stop());

    const botPort = await until('the bot listening', bot, async () => {
      const m = /http: listening on 127\.0\.0\.1:(\d+)/.exec(bot.logs());
      return m ? Number(m[1]) : undefined;
    });
    const botUrl = `http://127.0.0.1:${botPort}`;
    await until('the bot ready', bot, () => ok(`${botUrl}/readyz`));
    await until('the bot listening for writes', bot, async () =>
      bot.logs().includes('signals: listening') ? true : undefined,
    );
    await until('Alertmanager ready', alertmanager, () => ok(`http://127.0.0.1:${amPort}/-/ready`));
    await until('Prometheus ready', prometheus, () => ok(`http://127.0.0.1:${promPort}/-/ready`));
    await until(
      'Prometheus scraping the exporter',
      prometheus,
      async () => (scrapes > 0 ? true : undefined),
      60_000,
    );
    log(
      `ready: bot ${botUrl}, Prometheus :${promPort}, Alertmanager :${amPort}, exporter :${exporter.port}; ${trials} trials, pauses up to ${pauseMs / 1000} s`,
    );

    const push = async (value: number): Promise<void> => {
      const res = await fetch(`${botUrl}/api/v1/metrics`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          points: [{ roadmap: 'race', metric: 'race_value', value, at: new Date().toISOString() }],
        }),
      });
      if (!res.ok) throw new Error(`push API answered ${res.status}: ${await res.text()}`);
    };

    await push(0);
    const results: TrialResult[] = [];
    for (let trial = 1; trial <= trials; trial++) {
      await sleep(Math.random() * pauseMs);
      botTrial = trial;
      // The flip: the exporter's next scrape and the bot's push see it from the same instant.
      const t0 = performance.now();
      series.set(trial, 100);
      await push(100);
      const ms = Object.fromEntries(
        await Promise.all(
          PATHS.map(async (p) => {
            const at = await arrivals.wait(`${p.id}:${trial}`, trialTimeoutMs);
            return [p.id, at === undefined ? null : Math.round(at - t0)] as const;
          }),
        ),
      ) as Record<PathId, number | null>;
      results.push({ trial, ms, loadAverage: loadAverage() });
      log(
        `trial ${trial}/${trials}: ${PATHS.map((p) => `${p.id} ${ms[p.id] === null ? 'missed' : `${((ms[p.id] as number) / 1000).toFixed(3)} s`}`).join(', ')} (load ${loadAverage()})`,
      );
      // Back to 0 on both sides; the bot's resolution is awaited so the next trial's firing is a
      // new episode.
      series.delete(trial);
      await push(0);
      await arrivals.wait(`bot-resolved:${trial}`, 30_000);
    }

    const summary = PATHS.map((p) => {
      const values = results.map((r) => r.ms[p.id]).filter((v): v is number => v !== null);
      return {
        path: p.id,
        label: p.label,
        missed: results.length - values.length,
        ms: percentiles(values),
      };
    });
    const ours = summary[0] as (typeof summary)[number];
    const peer = summary[1] as (typeof summary)[number];
    const ratio = (row: { ms: Percentiles }) => row.ms.p50 / ours.ms.p50;
    const goals = {
      botP99UnderMs: GOAL_P99_MS,
      botP99Met: ours.missed === 0 && ours.ms.p99 < GOAL_P99_MS,
      p50RatioAtLeast: GOAL_RATIO,
      p50RatioVsEval15s: ratio(peer),
      p50RatioMet: ours.missed === 0 && peer.missed === 0 && ratio(peer) >= GOAL_RATIO,
    };
    const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(3)} s` : '–');
    const lines = [
      `# flip → notification, ${results.length} trials (${new Date().toISOString()}, load average ${loadAverage()} at the end, ${os.cpus().length} CPUs)`,
      '',
      '| path | p50 | p99 | max | missed | p50 vs the bot |',
      '| --- | --- | --- | --- | --- | --- |',
      ...summary.map(
        (r) =>
          `| ${r.label} | ${s(r.ms.p50)} | ${s(r.ms.p99)} | ${s(r.ms.max)} | ${r.missed} | ${r === ours ? '1×' : `${ratio(r).toFixed(0)}×`} |`,
      ),
      '',
      `load average per trial: ${results.map((r) => r.loadAverage).join(', ')}`,
      `goal: the bot's p99 < ${GOAL_P99_MS / 1000} s: ${goals.botP99Met ? 'met' : 'NOT met'}; its p50 ≥ ${GOAL_RATIO}× lower than Prometheus + Alertmanager (evaluation 15 s): ${goals.p50RatioVsEval15s.toFixed(0)}×, ${goals.p50RatioMet ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    await mkdir(OUT_DIR, { recursive: true });
    await writeFile(
      path.join(OUT_DIR, 'race.json'),
      `${JSON.stringify({ at: new Date().toISOString(), trials: results.length, pauseMs, summary, goals, results, cpus: os.cpus().length }, null, 2)}\n`,
    );
    log(`figures: ${path.join(OUT_DIR, 'race.json')}`);
  } finally {
    await cleanup();
  }
}

main().catch((error: Error) => {
  log(`race: ${error.stack ?? error.message}`);
  process.exit(1);
});
