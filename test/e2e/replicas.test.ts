import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  ensureDatabase,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '../../src/adapters/pg/embedded.js';
import { migrate } from '../../src/adapters/pg/migrate.js';
import { createPool } from '../../src/adapters/pg/pool.js';
import { pgTokens } from '../../src/adapters/pg/tokens.js';
import { runCommand } from '../../src/app/run.js';
import { FakeDiscord } from '../fakes/discord.js';
import { FakeSlack } from '../fakes/slack.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { startMain } from '../support/spawn.js';

// Three `npm start` processes share one PostgreSQL with fake Slack and Discord servers. Their
// clock is simulated (CLOCK_RATE: one real second is 24 minutes), so a day of digests passes in
// about a minute. Midway one process is killed with SIGKILL and PostgreSQL is restarted.
const RATE = 1440;
const SIM_MINUTE = 60_000 / RATE; // real ms per simulated minute
const ALERTS_DISCORD = '200000000000000001';
const DIGEST_DISCORD = '200000000000000002';

const step = (what: string) =>
  process.env.E2E_DEBUG && console.error(`[e2e ${new Date().toISOString()}] ${what}`);

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

interface Replica {
  name: string;
  main: ReturnType<typeof startMain>;
  base: string;
}

async function boot(name: string, env: Record<string, string>): Promise<Replica> {
  const main = startMain({ ...env, REPLICA_ID: name });
  const port = await vi.waitFor(
    () => {
      const match = /http: listening on 127\.0\.0\.1:(\d+)/.exec(main.logs());
      if (!match) throw new Error(`${name} not listening yet:\n${main.logs().slice(-2000)}`);
      return Number(match[1]);
    },
    { timeout: 60_000, interval: 100 },
  );
  return { name, main, base: `http://127.0.0.1:${port}` };
}

let server: EmbeddedPostgres | undefined;
let dataDir: string | undefined;
const cleanup: (() => Promise<unknown> | void)[] = [];

afterAll(async () => {
  for (const step of cleanup.reverse()) await Promise.resolve(step()).catch(() => undefined);
  await server?.stop().catch(() => undefined);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(process.env.DATABASE_URL !== undefined)(
  'three replicas, a SIGKILL and a PostgreSQL restart (skipped with DATABASE_URL: it must restart its own server)',
  () => {
    it('delivers every alert and digest exactly once, loses no metric point, and recovers without help', async () => {
      dataDir = mkdtempSync(path.join(os.tmpdir(), 'e2e-pg-'));
      const port = await freePort();
      server = await startEmbeddedPostgres({ dataDir, port });
      const url = await ensureDatabase(server.url, 'e2e');
      await migrate(url);
      const pool = createPool(url, { max: 2, onError: () => {} });
      cleanup.push(() => pool.end());

      const slack = await FakeSlack.start();
      const discord = await FakeDiscord.start();
      cleanup.push(
        () => slack.close(),
        () => discord.close(),
      );
      const roadmaps = roadmapsFolder('example');

      // Subscriptions and a push token, made as an admin would from the CLI.
      const start = new Date();
      const cli = await appWith(pool, roadmaps, new TestClock(start));
      const as = { ...admin, defaultRoadmap: 'example' };
      for (const line of [
        'subscribe alerts --channel slack:C-ALERTS',
        `subscribe alerts warning --channel discord:${ALERTS_DISCORD}`,
        'subscribe digest 09:00 America/New_York --channel slack:C-STANDUP',
        `subscribe digest 08:00 Europe/Paris --channel discord:${DIGEST_DISCORD}`,
      ]) {
        expect((await runCommand(cli, as, line, 'cli')).exitCode).toBe(0);
      }
      const { token } = await pgTokens(pool).create('e2e', ['example'], 'test', start);

      const { publicKey } = generateKeyPairSync('ed25519');
      const rawKey = publicKey
        .export({ format: 'der', type: 'spki' })
        .subarray(-32)
        .toString('hex');
      const env = {
        DATABASE_URL: url,
        ROADMAPS_DIR: roadmaps,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        EVALUATE_CRON: '* * * * * *',
        ALERT_REPEAT_INTERVAL: '12h',
        API_RATE_LIMIT: '100000',
        CLOCK_START: start.toISOString(),
        CLOCK_ORIGIN: start.toISOString(),
        CLOCK_RATE: String(RATE),
        SLACK_BOT_TOKEN: 'xoxb-e2e',
        SLACK_SIGNING_SECRET: 'e2e-secret',
        SLACK_API_URL: slack.apiUrl,
        DISCORD_TOKEN: discord.token,
        DISCORD_APPLICATION_ID: discord.applicationId,
        DISCORD_PUBLIC_KEY: rawKey,
        DISCORD_API_URL: discord.url,
      };
      step('booting replicas');
      const replicas = await Promise.all(['r1', 'r2', 'r3'].map((name) => boot(name, env)));
      cleanup.push(() =>
        Promise.all(
          replicas.map((r) =>
            r.main.child.exitCode === null
              ? (r.main.child.kill('SIGKILL'), r.main.exited)
              : undefined,
          ),
        ),
      );
      const simNow = () => new Date(start.getTime() + (Date.now() - start.getTime()) * RATE);

      // Pushes go to any replica; a push that fails (PostgreSQL down) is retried, like a client would.
      const accepted: { metric: string; value: number | string }[] = [];
      let next = 0;
      async function push(metric: string, value: number | string) {
        await vi.waitFor(
          async () => {
            const r =
              replicas.filter((x) => x.main.child.exitCode === null)[next++ % 2] ?? replicas[0]!;
            const response = await fetch(`${r.base}/api/v1/metrics`, {
              method: 'POST',
              headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
              body: JSON.stringify({
                points: [{ roadmap: 'example', metric, value, source: `e2e-${accepted.length}` }],
              }),
            }).catch(() => undefined);
            expect(response?.status).toBe(200);
          },
          { timeout: 30_000, interval: 200 },
        );
        accepted.push({ metric, value });
      }
      const waitSim = (minutes: number) =>
        new Promise((resolve) => setTimeout(resolve, minutes * SIM_MINUTE));

      step('replicas up');
      // Users pass 400: the upgrade trigger fires.
      await push('active_users', 450);
      await push('response_time_p95', '300ms');
      await waitSim(120);

      step('pushed first points');
      // One replica dies mid-flight, without a chance to release anything.
      replicas[1]!.main.child.kill('SIGKILL');
      await replicas[1]!.main.exited;

      // PostgreSQL restarts: the survivors report not ready, then recover by themselves.
      step('stopping postgres');
      await server.stop();
      await vi.waitFor(
        async () => expect((await fetch(`${replicas[0]!.base}/readyz`)).status).toBe(503),
        { timeout: 20_000, interval: 100 },
      );
      step('starting postgres again');
      server = await startEmbeddedPostgres({ dataDir, port });
      await vi.waitFor(
        async () => expect((await fetch(`${replicas[0]!.base}/readyz`)).status).toBe(200),
        { timeout: 30_000, interval: 200 },
      );
      await vi.waitFor(
        async () => expect((await fetch(`${replicas[2]!.base}/readyz`)).status).toBe(200),
        { timeout: 30_000, interval: 200 },
      );

      // Users fall back: resolved. DB CPU spikes past 80% for more than 10 minutes: critical.
      await push('active_users', 300);
      await push('database_cpu', '90%');
      await waitSim(60);
      await push('database_cpu', '91%');
      await waitSim(120);
      await push('database_cpu', '40%');

      step('waiting for the simulated day');
      // Let a whole simulated day pass, then everything due has been sent.
      const dayEnd = new Date(start.getTime() + 26 * 3_600_000);
      await vi.waitFor(() => expect(simNow() > dayEnd).toBe(true), {
        timeout: 120_000,
        interval: 500,
      });
      await vi.waitFor(
        async () => {
          const waiting = await pool.query(
            `SELECT count(*)::int AS n FROM deliveries WHERE status <> 'sent'`,
          );
          expect(waiting.rows[0].n).toBe(0);
        },
        { timeout: 60_000, interval: 250 },
      );

      step('checking');
      const rows = (
        await pool.query(
          `SELECT idempotency_key, platform, channel_id, kind FROM deliveries ORDER BY id`,
        )
      ).rows;
      const posts = (platform: string) =>
        rows.filter((r) => r.platform === platform && r.kind !== 'update');
      const edits = (platform: string) =>
        rows.filter((r) => r.platform === platform && r.kind === 'update');
      const slackPosts = slack.callsTo('chat.postMessage').filter((c) => c.status === 200);
      const discordPosts = discord
        .callsTo('POST /channels/:channel/messages')
        .filter((c) => c.status === 200);
      // Exactly once: every outbox row reached its platform once, and nothing else did.
      expect(slackPosts).toHaveLength(posts('slack').length);
      expect(discordPosts).toHaveLength(posts('discord').length);
      expect(slack.callsTo('chat.update').filter((c) => c.status === 200)).toHaveLength(
        edits('slack').length,
      );
      const kinds = (platform: string, channel: string) =>
        posts(platform)
          .filter((r) => r.channel_id === channel)
          .map((r) => `${r.kind}`)
          .sort();
      expect(kinds('slack', 'C-ALERTS')).toEqual(
        ['firing', 'firing', 'resolved', 'resolved'].sort(),
      );
      expect(kinds('discord', ALERTS_DISCORD)).toEqual(
        ['firing', 'firing', 'resolved', 'resolved'].sort(),
      );
      // One digest per channel per local day that passed in the simulated day.
      const digestDays = (channel: string) =>
        posts(channel === 'C-STANDUP' ? 'slack' : 'discord')
          .filter((r) => r.channel_id === channel)
          .map((r) => r.idempotency_key.split(':')[2]);
      for (const channel of ['C-STANDUP', DIGEST_DISCORD]) {
        const days = digestDays(channel);
        expect(days.length).toBeGreaterThanOrEqual(1);
        expect(new Set(days).size).toBe(days.length);
      }
      // No metric point lost: every accepted push is in the store.
      const stored = await pool.query(
        `SELECT count(*)::int AS n FROM metric_points WHERE source LIKE 'e2e-%'`,
      );
      expect(stored.rows[0].n).toBe(accepted.length);
      // The survivors are still up and ready.
      for (const r of [replicas[0]!, replicas[2]!])
        expect((await fetch(`${r.base}/readyz`)).status).toBe(200);
    }, 300_000);
  },
);
