import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { messageProblems, type MessagePayload } from '../../src/adapters/discord/limits.js';

/**
 * A local fake of the Discord REST API (v10) for the real @discordjs/rest client to talk
 * to (`DISCORD_API_URL` = `fake.url`). It answers the routes the bot uses as Discord does,
 * including rate-limit headers, records every call, and can be told to answer the next
 * calls of a route with a 429 (retry_after, Retry-After, X-RateLimit-*) or a 5xx/4xx.
 * Messages with files come as multipart/form-data (`payload_json` and `files[n]` parts), as
 * Discord takes them; the files are recorded on the call and become the message's attachments.
 */

/** A file part of a multipart request. */
export interface FakeFile {
  /** The form field: `files[0]`, `files[1]`… */
  field: string;
  filename: string;
  contentType: string;
  size: number;
  bytes: Buffer;
}

/** An attachment as Discord shows it on a message. */
export interface FakeAttachment {
  id: string;
  filename: string;
  description?: string;
  content_type: string;
  size: number;
  url: string;
  proxy_url: string;
}

/** Discord's default upload limit per file (10 MiB, without boosts or Nitro). */
export const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface FakeCall {
  method: string;
  /** Path under /api/v10, without the query. */
  path: string;
  /** The route template it matched (`POST /channels/:channel/messages`), if any. */
  route?: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON as sent (from payload_json when multipart); tests inspect it freely
  body: any;
  /** The file parts of a multipart request (empty for JSON). */
  files: FakeFile[];
  status: number;
}

export interface FakeMessage {
  id: string;
  channel_id: string;
  type: 0;
  content: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- embeds and components as sent
  embeds: any[];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  components: any[];
  flags: number;
  author: {
    id: string;
    username: string;
    bot: true;
    discriminator: '0';
    global_name: null;
    avatar: null;
  };
  timestamp: string;
  edited_timestamp: string | null;
  mentions: [];
  mention_roles: [];
  mention_everyone: false;
  attachments: FakeAttachment[];
  pinned: false;
  tts: false;
}

export type Failure =
  | { status: 429; retryAfter: number; global?: boolean }
  | { status: number; code?: number; message?: string };

/** What one interaction token saw through the webhook and callback routes. */
export interface InteractionLog {
  callbacks: unknown[];
  original?: FakeMessage;
  originalDeleted: boolean;
  followUps: FakeMessage[];
}

interface Route {
  name: string;
  method: string;
  regex: RegExp;
  keys: string[];
  /** Needs `Authorization: Bot <token>` (webhook and callback routes use the interaction token instead). */
  auth: boolean;
}

function route(name: string, auth: boolean): Route {
  const [method, template] = name.split(' ') as [string, string];
  const keys: string[] = [];
  const pattern = template.replace(/:([a-z]+)/g, (_m, key: string) => {
    keys.push(key);
    return '([^/]+)';
  });
  return { name, method, regex: new RegExp(`^${pattern}$`), keys, auth };
}

const ROUTES = [
  route('POST /channels/:channel/messages', true),
  route('PATCH /channels/:channel/messages/:message', true),
  route('POST /webhooks/:app/:token', false),
  route('PATCH /webhooks/:app/:token/messages/@original', false),
  route('DELETE /webhooks/:app/:token/messages/@original', false),
  route('POST /interactions/:id/:token/callback', false),
  route('PUT /applications/:app/commands', true),
  route('PUT /applications/:app/guilds/:guild/commands', true),
];

export class FakeDiscord {
  readonly calls: FakeCall[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly interactions = new Map<string, InteractionLog>();
  private readonly failures: { route: string; remaining: number; failure: Failure }[] = [];
  /** Files larger than this are refused whole (413, code 40005), as Discord does. */
  maxFileBytes = DEFAULT_MAX_FILE_BYTES;
  private nextId = 1_100_000_000_000_000_000n;

  private constructor(
    private readonly server: http.Server,
    readonly token: string,
    readonly applicationId: string,
  ) {}

  /** Starts on 127.0.0.1 at a free port. */
  static async start(opts: { token?: string; applicationId?: string } = {}): Promise<FakeDiscord> {
    const server = http.createServer();
    const fake = new FakeDiscord(
      server,
      opts.token ?? 'fake-bot-token',
      opts.applicationId ?? '100000000000000001',
    );
    server.on('request', (req, res) => void fake.serve(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** The REST base URL, without /v10 (what DISCORD_API_URL takes). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api`;
  }

  /** The next `times` calls of `route` (a template such as `POST /channels/:channel/messages`) fail so. */
  failNext(routeName: string, times: number, failure: Failure): void {
    if (!ROUTES.some((r) => r.name === routeName))
      throw new Error(`fake discord: no route ${routeName}`);
    this.failures.push({ route: routeName, remaining: times, failure });
  }

  /** Calls that matched a route template, failed ones included. */
  callsTo(routeName: string): FakeCall[] {
    return this.calls.filter((c) => c.route === routeName);
  }

  channelMessages(channel: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channel);
  }

  interaction(token: string): InteractionLog {
    let log = this.interactions.get(token);
    if (!log) {
      log = { callbacks: [], originalDeleted: false, followUps: [] };
      this.interactions.set(token, log);
    }
    return log;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private id(): string {
    return String(this.nextId++);
  }

  private message(channel: string, body: MessagePayload & { flags?: number }): FakeMessage {
    return {
      id: this.id(),
      channel_id: channel,
      type: 0,
      content: body.content ?? '',
      embeds: body.embeds ?? [],
      components: body.components ?? [],
      flags: body.flags ?? 0,
      author: {
        id: this.applicationId,
        username: 'roadmap-bot',
        bot: true,
        discriminator: '0',
        global_name: null,
        avatar: null,
      },
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      mentions: [],
      mention_roles: [],
      mention_everyone: false,
      attachments: [],
      pinned: false,
      tts: false,
    };
  }

  /** The message's attachments: the uploaded files, named and described as `attachments` in the payload says. */
  private attachmentsOf(files: FakeFile[], listed: unknown): FakeAttachment[] {
    const entries = Array.isArray(listed)
      ? (listed as { id?: string | number; filename?: string; description?: string }[])
      : [];
    return files.map((file, index) => {
      const n = /^files\[(\d+)\]$/.exec(file.field)?.[1] ?? String(index);
      const entry = entries.find((e) => String(e.id) === n);
      const filename = entry?.filename ?? file.filename;
      const id = this.id();
      const url = `https://cdn.fake.discord/attachments/${id}/${filename}`;
      return {
        id,
        filename,
        ...(entry?.description !== undefined ? { description: entry.description } : {}),
        content_type: file.contentType,
        size: file.size,
        url,
        proxy_url: url,
      };
    });
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const raw = bytes.toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    // The client encodes `@original` as %40original.
    const path = decodeURIComponent(url.pathname).replace(/^\/api\/v10/, '');
    const method = req.method ?? 'GET';
    const contentType = String(req.headers['content-type'] ?? '');
    let body: unknown;
    const files: FakeFile[] = [];
    if (contentType.startsWith('multipart/form-data')) {
      // The JSON travels as the `payload_json` part; every other part with a file name is a file.
      const form = await new Response(bytes, {
        headers: { 'content-type': contentType },
      }).formData();
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') {
          if (field === 'payload_json') body = JSON.parse(value);
          continue;
        }
        const data = Buffer.from(await value.arrayBuffer());
        files.push({
          field,
          filename: value.name,
          contentType: value.type,
          size: data.length,
          bytes: data,
        });
      }
    } else {
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = raw;
      }
    }
    const matched = ROUTES.find((r) => r.method === method && r.regex.test(path));
    const params: Record<string, string> = {};
    if (matched) {
      const values = matched.regex.exec(path)?.slice(1) ?? [];
      matched.keys.forEach((k, i) => (params[k] = values[i] ?? ''));
    }
    const call: FakeCall = {
      method,
      path,
      ...(matched ? { route: matched.name } : {}),
      params,
      query: url.searchParams,
      headers: req.headers,
      body,
      files,
      status: 0,
    };
    this.calls.push(call);

    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      call.status = status;
      const bucket = `fake-${(matched?.name ?? path).replace(/[^a-z]/gi, '')}`;
      res.writeHead(status, {
        // Plenty left in the bucket: the client never has to wait unless a test says so.
        'x-ratelimit-limit': '5',
        'x-ratelimit-remaining': '4',
        'x-ratelimit-reset-after': '1',
        'x-ratelimit-reset': String(Date.now() / 1000 + 1),
        'x-ratelimit-bucket': bucket,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      });
      res.end(payload === undefined ? undefined : JSON.stringify(payload));
    };

    if (!matched) return send(404, { message: '404: Not Found', code: 0 });
    if (matched.auth && req.headers.authorization !== `Bot ${this.token}`)
      return send(401, { message: '401: Unauthorized', code: 0 });

    const failure = this.failures.find((f) => f.route === matched.name && f.remaining > 0);
    if (failure) {
      failure.remaining--;
      const f = failure.failure;
      if (f.status === 429 && 'retryAfter' in f) {
        return send(
          429,
          {
            message: 'You are being rate limited.',
            retry_after: f.retryAfter,
            global: f.global ?? false,
          },
          {
            'retry-after': String(f.retryAfter),
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset-after': String(f.retryAfter),
            'x-ratelimit-scope': f.global ? 'global' : 'user',
            ...(f.global ? { 'x-ratelimit-global': 'true' } : {}),
          },
        );
      }
      const message =
        'message' in f && f.message
          ? f.message
          : f.status >= 500
            ? `${f.status}: Internal Server Error`
            : 'Refused';
      return send(f.status, { message, code: 'code' in f && f.code !== undefined ? f.code : 0 });
    }

    const payload = (body ?? {}) as MessagePayload & { flags?: number; attachments?: unknown };
    // Discord checks every limit of a message and refuses it whole (50035 Invalid Form Body);
    // a file over the upload limit makes it refuse the request (413, 40005).
    const invalid = (editing: boolean) => {
      const problems = messageProblems(payload).filter(
        (p) => !((editing || files.length > 0) && p.startsWith('message: no content')),
      );
      return problems.length > 0
        ? { message: 'Invalid Form Body', code: 50035, errors: problems }
        : undefined;
    };
    if (files.some((f) => f.size > this.maxFileBytes))
      return send(413, { message: 'Request entity too large', code: 40005 });
    const attachments = this.attachmentsOf(files, payload.attachments);

    switch (matched.name) {
      case 'POST /channels/:channel/messages': {
        const bad = invalid(false);
        if (bad) return send(400, bad);
        const message = { ...this.message(params.channel as string, payload), attachments };
        this.messages.set(message.id, message);
        return send(200, message);
      }
      case 'PATCH /channels/:channel/messages/:message': {
        const existing = this.messages.get(params.message as string);
        if (!existing || existing.channel_id !== params.channel)
          return send(404, { message: 'Unknown Message', code: 10008 });
        const bad = invalid(true);
        if (bad) return send(400, bad);
        Object.assign(
          existing,
          pick(payload),
          { attachments: kept(existing.attachments, payload.attachments, attachments) },
          { edited_timestamp: new Date().toISOString() },
        );
        return send(200, existing);
      }
      case 'POST /webhooks/:app/:token': {
        const bad = invalid(false);
        if (bad) return send(400, bad);
        const message = { ...this.message('webhook', payload), attachments };
        this.interaction(params.token as string).followUps.push(message);
        return send(200, message);
      }
      case 'PATCH /webhooks/:app/:token/messages/@original': {
        const bad = invalid(true);
        if (bad) return send(400, bad);
        const log = this.interaction(params.token as string);
        const original = log.original ?? this.message('webhook', {});
        log.original = Object.assign(original, pick(payload), {
          attachments: kept(original.attachments, payload.attachments, attachments),
        });
        return send(200, log.original);
      }
      case 'DELETE /webhooks/:app/:token/messages/@original':
        this.interaction(params.token as string).originalDeleted = true;
        return send(204);
      case 'POST /interactions/:id/:token/callback':
        this.interaction(params.token as string).callbacks.push(body);
        return send(204);
      case 'PUT /applications/:app/commands':
      case 'PUT /applications/:app/guilds/:guild/commands': {
        if (params.app !== this.applicationId)
          return send(403, { message: 'Missing Access', code: 50001 });
        const commands = Array.isArray(body) ? body : [];
        return send(
          200,
          commands.map((c: object) => ({
            ...c,
            id: this.id(),
            application_id: this.applicationId,
            version: this.id(),
            ...(params.guild ? { guild_id: params.guild } : {}),
          })),
        );
      }
      default:
        return send(404, { message: '404: Not Found', code: 0 });
    }
  }
}

/**
 * An edit's attachments: without an `attachments` list the old ones stay (and new files join
 * them); with one, only the old ones it names by id stay, and the new files join those.
 */
function kept(old: FakeAttachment[], listed: unknown, added: FakeAttachment[]): FakeAttachment[] {
  if (!Array.isArray(listed)) return [...old, ...added];
  const ids = new Set((listed as { id?: unknown }[]).map((e) => String(e.id)));
  return [...old.filter((a) => ids.has(a.id)), ...added];
}

/** The fields an edit replaces (what it leaves out stays as it was). */
function pick(payload: MessagePayload & { flags?: number }): Partial<FakeMessage> {
  return Object.fromEntries(
    Object.entries(payload).filter(
      ([k, v]) => ['content', 'embeds', 'components'].includes(k) && v !== undefined,
    ),
  ) as Partial<FakeMessage>;
}
