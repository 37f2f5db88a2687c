import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runPrometheusCollector } from '../../src/app/collectors/prometheus.js';
import { pgSqlCollector } from '../../src/adapters/pg/sql-collector.js';
import { runDueCollectors } from '../../src/app/collectors/run.js';
import type { AppDeps } from '../../src/app/context.js';
import { appWith, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

// A real Prometheus server (Debian package `prometheus`, installed by .ci/run), scraping a
// small exporter this test runs. Where the binary is missing the tests are skipped, and say so.
const PROMETHEUS = spawnSync('sh', ['-c', 'command -v prometheus'], {
  encoding: 'utf8',
}).stdout.trim();

const db = useTestDatabase();
let exporter: Server;
let prometheus: ChildProcess | undefined;
let promUrl: string;
let dir: string;
let app: AppDeps;
const clock = new TestClock(new Date());

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });

describe.skipIf(!PROMETHEUS)(
  `Prometheus collector against a real server${PROMETHEUS ? '' : ' (skipped: the prometheus binary is not installed; apt-get install prometheus)'}`,
  () => {
    beforeAll(async () => {
      exporter = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(
          '# TYPE roadmap_test_users gauge\nroadmap_test_users 420\n# TYPE roadmap_test_latency_seconds gauge\nroadmap_test_latency_seconds{route="a"} 0.3\nroadmap_test_latency_seconds{route="b"} 0.5\n',
        );
      });
      await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
      const exporterPort = (exporter.address() as net.AddressInfo).port;
      dir = mkdtempSync(path.join(os.tmpdir(), 'prometheus-'));
      writeFileSync(
        path.join(dir, 'prometheus.yml'),
        `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: exporter\n    static_configs:\n      - targets: ['127.0.0.1:${exporterPort}']\n`,
      );
      const port = await freePort();
      promUrl = `http://127.0.0.1:${port}`;
      prometheus = spawn(
        PROMETHEUS,
        [
          `--config.file=${path.join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${path.join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        { stdio: 'ignore' },
      );
      // Ready once a scrape has landed.
      await vi.waitFor(
        async () => {
          const value = await runPrometheusCollector(
            promUrl,
            'roadmap_test_users',
            new Date(),
            1000,
          );
          expect(value).toBe(420);
        },
        { timeout: 60_000, interval: 250 },
      );
      const roadmaps = mkdtempSync(path.join(os.tmpdir(), 'roadmaps-'));
      writeFileSync(
        path.join(roadmaps, 'observed.yaml'),
        `id: observed
name: Observed by Prometheus
metrics:
  active_users: { unit: count, source: { prometheus: roadmap_test_users, url: PROMETHEUS_URL, every: 1m } }
  latency: { unit: s, source: { prometheus: "max(roadmap_test_latency_seconds)", url: PROMETHEUS_URL, every: 1m } }
  per_route: { unit: s, source: { prometheus: roadmap_test_latency_seconds, url: PROMETHEUS_URL, every: 1m } }
stages:
  - id: one
    name: One
    upgrade: { when: active_users >= 400 or latency > 2s }
`,
      );
      app = await appWith(db.pool, roadmaps, clock);
    }, 90_000);

    afterAll(async () => {
      prometheus?.kill('SIGTERM');
      await new Promise<void>((resolve) => exporter.close(() => resolve()));
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('records an instant vector of one series and a scalar', async () => {
      expect(
        await runPrometheusCollector(promUrl, 'scalar(roadmap_test_users)', new Date(), 2000),
      ).toBe(420);
      // Prometheus answers for real time: evaluate at the moment its samples exist.
      clock.set(new Date());
      const result = await runDueCollectors(app, clock.now(), {
        env: { PROMETHEUS_URL: promUrl },
        timeoutMs: 2000,
        sql: pgSqlCollector(),
      });
      expect(result).toEqual({ ran: 3, failed: 1 });
      const points = await db.pool.query(
        `SELECT metric, value, source FROM metric_points ORDER BY metric`,
      );
      expect(points.rows).toEqual([
        { metric: 'active_users', value: 420, source: 'prometheus' },
        { metric: 'latency', value: 0.5, source: 'prometheus' },
      ]);
    });

    it('refuses a vector of several series and a bad query, with the reason', async () => {
      await expect(
        runPrometheusCollector(promUrl, 'roadmap_test_latency_seconds', new Date(), 2000),
      ).rejects.toThrow(/expected a scalar or a single series, got 2 series/);
      await expect(runPrometheusCollector(promUrl, 'rate(', new Date(), 2000)).rejects.toThrow(
        /Prometheus refused the query/,
      );
      const health = await db.pool.query(
        `SELECT last_error FROM collector_state WHERE metric = 'per_route'`,
      );
      expect(health.rows[0].last_error).toMatch(/got 2 series/);
    });

    it('reports an unreachable server as a failure', async () => {
      await expect(
        runPrometheusCollector('http://127.0.0.1:9', 'up', new Date(), 1000),
      ).rejects.toThrow(/Prometheus unreachable/);
    });
  },
);
