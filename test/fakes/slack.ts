import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A small fake of Slack for tests: the Web API (`<url>/api/<method>`), `response_url`
 * endpoints, Socket Mode's `apps.connections.open` with its WebSocket, and external file
 * uploads (`files.getUploadURLExternal` → POST to the returned `upload_url` →
 * `files.completeUploadExternal`, what `files.uploadV2` does). The real @slack/bolt and
 * @slack/web-api talk to it over loopback; it records everything.
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

/** One file through the external upload flow, as far as it got. */
export interface FakeUpload {
  /** The `file_id` files.getUploadURLExternal gave out. */
  id: string;
  /** As declared to files.getUploadURLExternal. */
  filename: string;
  length: number;
  altText?: string;
  /** What was POSTed to the upload_url (undefined until then). */
  bytes?: Buffer;
  /** The upload POST's content type (the Web API client sends multipart/form-data). */
  uploadContentType?: string;
  /** Set by files.completeUploadExternal: where the file was shared, and with what. */
  completed?: { title?: string; channelId?: string; threadTs?: string; initialComment?: string };
}

export type Failure = { status: 429; retryAfter?: number } | { status: 500 } | { error: string };

type Answer = (call: ApiCall) => Record<string, unknown>;

export class FakeSlack {
  readonly calls: ApiCall[] = [];
  readonly responses: Responded[] = [];
  /** Every message the app sent on the socket (acks carry `envelope_id`). */
  readonly socketMessages: Record<string, unknown>[] = [];
  /** Every file upload, by file_id, in the order they were asked for. */
  readonly uploads = new Map<string, FakeUpload>();
  private readonly failures = new Map<string, Failure[]>();
  private readonly answers = new Map<string, Answer>();
  private readonly sockets = new Set<WebSocket>();
  private nextTs = 1_700_000_000;
  private nextFile = 1;

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

  /** Files completed into `channel` (uploaded and shared there), oldest first. */
  filesIn(channel: string): FakeUpload[] {
    return [...this.uploads.values()].filter((u) => u.completed?.channelId === channel);
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
    this.uploads.clear();
    this.failures.clear();
    this.answers.clear();
  }

  get openSockets(): number {
    return [...this.sockets].filter((s) => s.readyState === s.OPEN).length;
  }

  /** Sends a Socket Mode envelope to every connected app; returns its envelope_id. */
  sendEnvelope(
    type: string,
    payload: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): string {
    const envelopeId = randomUUID();
    const text = JSON.stringify({
      envelope_id: envelopeId,
      type,
      payload,
      accepts_response_payload: type !== 'events_api',
      ...extra,
    });
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
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'fake-slack' },
        connection_info: { app_id: 'A0FAKE' },
      }),
    );
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', this.url);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };

    const upload = /^\/upload\/([^/]+)$/.exec(url.pathname);
    if (upload)
      return this.received(
        upload[1] as string,
        bytes,
        String(req.headers['content-type'] ?? ''),
        res,
      );

    const respond = /^\/respond\/([^/]+)$/.exec(url.pathname);
    if (respond) {
      this.responses.push({
        id: respond[1] as string,
        body: JSON.parse(raw || '{}') as Record<string, unknown>,
      });
      return send(200, { ok: true });
    }
    const api = /^\/api\/([\w.]+)$/.exec(url.pathname);
    if (!api) return send(404, { ok: false, error: 'unknown_path' });

    const method = api[1] as string;
    const body = decodeBody(raw, String(req.headers['content-type'] ?? ''));
    const auth = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ''));
    const call: ApiCall = {
      method,
      body,
      ...(auth ? { token: auth[1] as string } : {}),
      status: 200,
    };
    this.calls.push(call);

    const failure = this.failures.get(method)?.shift();
    if (failure && 'status' in failure) {
      call.status = failure.status;
      if (failure.status === 429) {
        return send(
          429,
          { ok: false, error: 'ratelimited' },
          failure.retryAfter !== undefined ? { 'retry-after': String(failure.retryAfter) } : {},
        );
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
        return {
          url: 'https://fake.slack.test/',
          team: 'Fake Team',
          user: 'roadmap',
          team_id: 'T0FAKE',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        };
      case 'apps.connections.open':
        return { url: `${this.url.replace(/^http/, 'ws')}/socket` };
      case 'chat.postMessage': {
        const ts = `${this.nextTs++}.000100`;
        return {
          channel: call.body.channel,
          ts,
          message: { type: 'message', ts, text: call.body.text, blocks: call.body.blocks },
        };
      }
      case 'chat.update':
        return { channel: call.body.channel, ts: call.body.ts, text: call.body.text };
      case 'views.publish':
        return { view: { id: 'V0FAKE', ...(call.body.view as object) } };
      case 'files.getUploadURLExternal': {
        const id = `F0FAKE${this.nextFile++}`;
        const altText = typeof call.body.alt_text === 'string' ? call.body.alt_text : undefined;
        this.uploads.set(id, {
          id,
          filename: String(call.body.filename ?? ''),
          length: Number(call.body.length),
          ...(altText !== undefined ? { altText } : {}),
        });
        return { upload_url: `${this.url}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal':
        return this.complete(call);
      default:
        return {};
    }
  }

  /**
   * The POST to an upload_url: the bytes, raw or as the one file part of a multipart form
   * (what the Web API client sends). Slack answers such uploads in plain text.
   */
  private async received(
    id: string,
    bytes: Buffer,
    contentType: string,
    res: http.ServerResponse,
  ): Promise<void> {
    const text = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(body);
    };
    const upload = this.uploads.get(id);
    if (!upload) return text(404, 'unknown upload');
    let data = bytes;
    if (contentType.startsWith('multipart/form-data')) {
      const form = await new Response(bytes, {
        headers: { 'content-type': contentType },
      }).formData();
      const file = [...form.values()].find((v) => typeof v !== 'string');
      if (file === undefined || typeof file === 'string') return text(400, 'no file part');
      data = Buffer.from(await file.arrayBuffer());
    }
    upload.bytes = data;
    upload.uploadContentType = contentType;
    return text(200, `OK - ${data.length}`);
  }

  /** files.completeUploadExternal: shares uploaded files into channel_id (or keeps them private). */
  private complete(call: ApiCall): Record<string, unknown> {
    const files = Array.isArray(call.body.files)
      ? (call.body.files as { id?: string; title?: string }[])
      : [];
    const uploads = files.map((f) => (f.id ? this.uploads.get(f.id) : undefined));
    // Unknown ids, or files whose bytes never arrived, are refused as Slack does.
    if (files.length === 0 || uploads.some((u) => !u?.bytes))
      return { ok: false, error: 'file_not_found' };
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    const channelId = str(call.body.channel_id);
    const threadTs = str(call.body.thread_ts);
    const initialComment = str(call.body.initial_comment);
    return {
      files: uploads.map((u, i) => {
        const upload = u as FakeUpload;
        const title = files[i]?.title;
        upload.completed = {
          ...(title !== undefined ? { title } : {}),
          ...(channelId ? { channelId } : {}),
          ...(threadTs ? { threadTs } : {}),
          ...(initialComment ? { initialComment } : {}),
        };
        return {
          id: upload.id,
          name: upload.filename,
          title: title ?? upload.filename,
          size: upload.bytes?.length,
          channels: channelId ? [channelId] : [],
        };
      }),
    };
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
export function slackSignature(
  secret: string,
  body: string,
  timestampSec: number,
): Record<string, string> {
  const signature = `v0=${createHmac('sha256', secret).update(`v0:${timestampSec}:${body}`).digest('hex')}`;
  return { 'x-slack-signature': signature, 'x-slack-request-timestamp': String(timestampSec) };
}
