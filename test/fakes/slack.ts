import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A small fake of Slack for tests: the Web API (`<url>/api/<method>`), `response_url`
 * endpoints, and Socket Mode's `apps.connections.open` with its WebSocket. The real
 * @slack/bolt and @slack/web-api talk to it over loopback; it records everything.
 */

export interface ApiCall {
  method: string;
  /** Form fields, with JSON-valued ones (blocks, view…) decoded. */
  body: Record<string, unknown>;
  /** From `Authorization: Bearer …`. */
  token?: string;
  /** What the fake answered: 200, 429, 500. */
  status: number;
}

export interface Responded {
  /** The id in the response_url the payload was posted to. */
  id: string;
  body: Record<string, unknown>;
}

export type Failure = { status: 429; retryAfter?: number } | { status: 500 } | { error: string };

type Answer = (call: ApiCall) => Record<string, unknown>;

export class FakeSlack {
  readonly calls: ApiCall[] = [];
  readonly responses: Responded[] = [];
  /** Every message the app sent on the socket (acks carry `envelope_id`). */
  readonly socketMessages: Record<string, unknown>[] = [];
  private readonly failures = new Map<string, Failure[]>();
  private readonly answers = new Map<string, Answer>();
  private readonly sockets = new Set<WebSocket>();
  private nextTs = 1_700_000_000;

  private constructor(
    private readonly server: http.Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
  ) {}

  static async start(): Promise<FakeSlack> {
    const server = http.createServer();
    const wss = new WebSocketServer({ server, path: '/socket' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeSlack(server, wss, `http://127.0.0.1:${port}`);
    server.on('request', (req, res) => void fake.handle(req, res));
    wss.on('connection', (socket) => fake.connected(socket));
    return fake;
  }

  /** The value for SLACK_API_URL. */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  /** A response_url whose posts are recorded under `id`. */
  responseUrl(id: string = randomUUID()): string {
    return `${this.url}/respond/${id}`;
  }

  callsTo(method: string): ApiCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  respondedTo(id: string): Responded[] {
    return this.responses.filter((r) => r.id === id);
  }

  /** The next `times` calls of `method` fail this way; later ones succeed again. */
  fail(method: string, failure: Failure, times = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.failures.set(method, queue);
  }

  /** Answers `method` with what `answer` returns (merged over `ok: true`). */
  answer(method: string, answer: Answer): void {
    this.answers.set(method, answer);
  }

  /** Forgets what was recorded and any failures still queued. */
  reset(): void {
    this.calls.length = 0;
    this.responses.length = 0;
    this.socketMessages.length = 0;
    this.failures.clear();
    this.answers.clear();
  }

  get openSockets(): number {
    return [...this.sockets].filter((s) => s.readyState === s.OPEN).length;
  }

  /** Sends a Socket Mode envelope to every connected app; returns its envelope_id. */
  sendEnvelope(type: string, payload: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
    const envelopeId = randomUUID();
    const text = JSON.stringify({ envelope_id: envelopeId, type, payload, accepts_response_payload: type !== 'events_api', ...extra });
    for (const socket of this.sockets) socket.send(text);
    return envelopeId;
  }

  acksOf(envelopeId: string): Record<string, unknown>[] {
    return this.socketMessages.filter((m) => m.envelope_id === envelopeId);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private connected(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('message', (data) => {
      try {
        this.socketMessages.push(JSON.parse(String(data)) as Record<string, unknown>);
      } catch {
        this.socketMessages.push({ unparseable: String(data) });
      }
    });
    socket.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake-slack' }, connection_info: { app_id: 'A0FAKE' } }));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };

    const respond = /^\/respond\/([^/]+)$/.exec(url.pathname);
    if (respond) {
      this.responses.push({ id: respond[1] as string, body: JSON.parse(raw || '{}') as Record<string, unknown> });
      return send(200, { ok: true });
    }
    const api = /^\/api\/([\w.]+)$/.exec(url.pathname);
    if (!api) return send(404, { ok: false, error: 'unknown_path' });

    const method = api[1] as string;
    const body = decodeBody(raw, String(req.headers['content-type'] ?? ''));
    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    const call: ApiCall = { method, body, ...(auth ? { token: auth[1] as string } : {}), status: 200 };
    this.calls.push(call);

    const failure = this.failures.get(method)?.shift();
    if (failure && 'status' in failure) {
      call.status = failure.status;
      if (failure.status === 429) {
        return send(429, { ok: false, error: 'ratelimited' }, failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {});
      }
      return send(500, { ok: false, error: 'internal_error' });
    }
    if (failure) return send(200, { ok: false, error: failure.error });
    const custom = this.answers.get(method);
    return send(200, { ok: true, ...(custom ? custom(call) : this.defaultAnswer(call)) });
  }

  private defaultAnswer(call: ApiCall): Record<string, unknown> {
    switch (call.method) {
      case 'auth.test':
        return { url: 'https://fake.slack.test/', team: 'Fake Team', user: 'roadmap', team_id: 'T0FAKE', user_id: 'U0BOT', bot_id: 'B0BOT' };
      case 'apps.connections.open':
        return { url: `${this.url.replace(/^http/, 'ws')}/socket` };
      case 'chat.postMessage': {
        const ts = `${this.nextTs++}.000100`;
        return { channel: call.body.channel, ts, message: { type: 'message', ts, text: call.body.text, blocks: call.body.blocks } };
      }
      case 'chat.update':
        return { channel: call.body.channel, ts: call.body.ts, text: call.body.text };
      case 'views.publish':
        return { view: { id: 'V0FAKE', ...(call.body.view as object) } };
      default:
        return {};
    }
  }
}

function decodeBody(raw: string, contentType: string): Record<string, unknown> {
  if (raw === '') return {};
  if (contentType.startsWith('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const fields = parseQuery(raw);
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) => {
      if (typeof value === 'string' && /^[[{]/.test(value)) {
        try {
          return [key, JSON.parse(value)];
        } catch {
          return [key, value];
        }
      }
      return [key, value];
    }),
  );
}

/** Headers Slack would send with `body` at `timestampSec`, signed with `secret` (v0 HMAC-SHA256). */
export function slackSignature(secret: string, body: string, timestampSec: number): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestampSec) };
}
