import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { vi } from 'vitest';
import { createHttpServer } from '../../src/adapters/http/server.js';
import { createSlack, type SlackAdapter, type SlackConfig } from '../../src/adapters/slack/app.js';
import type { AppDeps } from '../../src/app/context.js';
import { createLogger } from '../../src/logger.js';
import { FakeSlack, type Responded, slackSignature } from '../fakes/slack.js';
import { appWith, roadmapsFolder, type TestClock } from '../support/app.js';

export const SECRET = 'test-signing-secret';
export const ADMIN = 'U0ADMIN';
export const READER = 'U0READER';
/** Short and without waits: retries happen at once (the fake answers Retry-After: 0). */
export const FAST_RETRY = { retries: 2, minTimeout: 0, maxTimeout: 0 };

export interface HarnessOptions {
  pool: pg.Pool;
  clock: TestClock;
  roadmaps?: string[];
  mode?: 'http' | 'socket';
  signingSecret?: string;
  /** Replaces parts of the command layer's dependencies (to inject a failure). */
  deps?: (deps: AppDeps) => AppDeps;
}

/**
 * The bot's Slack side as main.ts runs it: a real fastify server (createHttpServer) with the
 * adapter mounted, a real Postgres behind the command layer, and the fake Slack in front.
 */
export class SlackHarness {
  private constructor(
    readonly fake: FakeSlack,
    readonly slack: SlackAdapter,
    readonly http: FastifyInstance,
    readonly baseUrl: string,
    readonly deps: AppDeps,
    private readonly clock: TestClock,
    private readonly logLines: string[],
    private readonly secret: string,
  ) {}

  static async start(options: HarnessOptions): Promise<SlackHarness> {
    const fake = await FakeSlack.start();
    const base = await appWith(
      options.pool,
      roadmapsFolder(...(options.roadmaps ?? ['oviya'])),
      options.clock,
    );
    const deps = options.deps ? options.deps(base) : base;
    const logLines: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, done) {
          logLines.push(...chunk.toString().split('\n').filter(Boolean));
          done();
        },
      }),
    );
    const secret = options.signingSecret ?? SECRET;
    const config: SlackConfig = {
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: secret,
      SLACK_APP_TOKEN: options.mode === 'socket' ? 'xapp-test-token' : undefined,
      SLACK_API_URL: fake.apiUrl,
      SLACK_ADMIN_USER_IDS: [ADMIN],
    };
    const http = createHttpServer({
      store: deps.store,
      registry: deps.registry,
      logger,
      started: () => true,
    });
    const slack = createSlack({
      config,
      deps,
      logger,
      http,
      clientOptions: { retryConfig: FAST_RETRY, timeout: 5000 },
    });
    await http.listen({ port: 0, host: '127.0.0.1' });
    await slack.start();
    const address = http.server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    return new SlackHarness(
      fake,
      slack,
      http,
      `http://127.0.0.1:${port}`,
      deps,
      options.clock,
      logLines,
      secret,
    );
  }

  get logs(): string {
    return this.logLines.join('\n');
  }

  /** Seconds since the epoch by the injected clock: what Slack would put in the timestamp header. */
  get nowSec(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }

  /** POSTs to /slack/events, signed like Slack unless `headers` says otherwise. */
  async send(
    body: string,
    contentType: string,
    options: { timestampSec?: number; headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const signed = slackSignature(this.secret, body, options.timestampSec ?? this.nowSec);
    return fetch(`${this.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...signed, ...options.headers },
      body,
    });
  }

  /** The fields Slack sends for `/roadmap <text>` typed by `user` in `channel`, answered on response_url `responseId`. */
  commandFields(
    text: string,
    user: string,
    channel: string,
    responseId: string,
  ): Record<string, string> {
    return {
      token: 'legacy-verification-token',
      team_id: 'T0FAKE',
      team_domain: 'fake',
      channel_id: channel,
      channel_name: 'roadmap',
      user_id: user,
      user_name: user.toLowerCase(),
      command: '/roadmap',
      text,
      api_app_id: 'A0FAKE',
      is_enterprise_install: 'false',
      response_url: this.fake.responseUrl(responseId),
      trigger_id: '13345224609.738474920.8088930838d88f008e0',
    };
  }

  /** The form body of `/roadmap <text>` typed by `user` in `channel`, answering on a fresh response_url. */
  commandBody(
    text: string,
    user = ADMIN,
    channel = 'C0MAIN',
  ): { body: string; responseId: string } {
    const responseId = `cmd-${Math.random().toString(36).slice(2)}`;
    return {
      body: new URLSearchParams(this.commandFields(text, user, channel, responseId)).toString(),
      responseId,
    };
  }

  /** Types `/roadmap <text>` and returns what Slack would show (the respond() payload). */
  async command(text: string, user = ADMIN, channel = 'C0MAIN'): Promise<Record<string, unknown>> {
    const { body, responseId } = this.commandBody(text, user, channel);
    const res = await this.send(body, 'application/x-www-form-urlencoded');
    if (res.status !== 200) throw new Error(`/roadmap ${text}: HTTP ${res.status}`);
    return (await this.responded(responseId)).body;
  }

  /** The first respond() payload posted to response_url `id`, once it arrives. */
  responded(id: string): Promise<Responded> {
    return vi.waitFor(
      () => {
        const found = this.fake.respondedTo(id)[0];
        if (!found) throw new Error(`no answer on response_url ${id} yet`);
        return found;
      },
      { timeout: 10_000, interval: 20 },
    );
  }

  async close(): Promise<void> {
    await this.slack.stop();
    await this.http.close();
    await this.fake.close();
  }
}

/** All the text Slack would show in a payload's blocks, for assertions. */
export function blocksText(payload: Record<string, unknown>): string {
  const texts: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') texts.push(value);
        else walk(value);
      }
    }
  };
  walk(payload.blocks);
  return texts.join('\n');
}

export async function countRows(pool: pg.Pool, table: string): Promise<number> {
  return Number((await pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
}
