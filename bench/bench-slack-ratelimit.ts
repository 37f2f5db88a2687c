/**
 * The rate-limited fake Slack of bench/fanout.ts, run as its own process (forked, talking over
 * IPC) so that its rate-limit decisions and arrival stamps do not wait on the bot's event loop.
 * Listens on 127.0.0.1 only. Only what the outbox uses is answered:
 *
 *   POST /api/chat.postMessage   rate limited (below), else { ok: true, channel, ts }
 *   POST /api/auth.test          who the bot is
 *   POST /api/<other>            { ok: true }
 *
 * Limits (a message refused by either does not count against either):
 *   - per channel: at most one accepted message per FAKE_CHANNEL_INTERVAL_MS (default 1000) in a
 *     channel (Slack's chat.postMessage "1 per second per channel");
 *   - per workspace: a token bucket of FAKE_WORKSPACE_RATE messages a second holding at most
 *     FAKE_WORKSPACE_BURST (both default 50), starting full.
 * A refused message gets HTTP 429 `{ ok: false, error: 'ratelimited' }` with Retry-After in whole
 * seconds (at least 1, as Slack sends it). FAKE_LATENCY_MS (default 0) delays every answer, for
 * Slack's own response time.
 *
 * IPC: → { type: 'ready', url }; ← { type: 'stats' } → { type: 'stats', stats }; ← { type: 'reset' }
 * (forget counters and limits) → { type: 'reset' }. Exits when the parent disconnects.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeStats {
  /** chat.postMessage calls answered 200. */
  accepted: number;
  /** 429s because the channel had a message less than the interval ago. */
  channel429: number;
  /** 429s because the workspace bucket was empty. */
  workspace429: number;
  /** Distinct channels that got at least one message. */
  channels: number;
  /** Channels that got more than one message, and the messages beyond the first. */
  duplicateChannels: number;
  duplicateMessages: number;
  /** Epoch ms (sub-millisecond) of the first and last accepted message. */
  firstAcceptedAt: number | null;
  lastAcceptedAt: number | null;
  /** The most messages accepted in any one channel within any one interval (must be 1). */
  maxPerChannelInterval: number;
  otherCalls: number;
}

export type FakeToParent =
  { type: 'ready'; url: string } | { type: 'stats'; stats: FakeStats } | { type: 'reset' };
export type ParentToFake = { type: 'stats' } | { type: 'reset' } | { type: 'stop' };

const num = (name: string, fallback: number): number => {
  const n = Number(process.env[name] ?? '');
  return process.env[name] && Number.isFinite(n) && n >= 0 ? n : fallback;
};
const CHANNEL_INTERVAL_MS = num('FAKE_CHANNEL_INTERVAL_MS', 1000);
const WORKSPACE_RATE = num('FAKE_WORKSPACE_RATE', 50);
const WORKSPACE_BURST = num('FAKE_WORKSPACE_BURST', 50);
const LATENCY_MS = num('FAKE_LATENCY_MS', 0);

const epochMs = (): number => performance.timeOrigin + performance.now();
const send = (message: FakeToParent): void => void process.send?.(message);

let tokens = WORKSPACE_BURST;
let refilledAt = performance.now();
let lastByChannel = new Map<string, number>();
let acceptedByChannel = new Map<string, number[]>();
let counters = { accepted: 0, channel429: 0, workspace429: 0, otherCalls: 0 };
let firstAcceptedAt: number | null = null;
let lastAcceptedAt: number | null = null;
let nextTs = 1_700_000_000;

function reset(): void {
  tokens = WORKSPACE_BURST;
  refilledAt = performance.now();
  lastByChannel = new Map();
  acceptedByChannel = new Map();
  counters = { accepted: 0, channel429: 0, workspace429: 0, otherCalls: 0 };
  firstAcceptedAt = lastAcceptedAt = null;
}

function stats(): FakeStats {
  let duplicateChannels = 0;
  let duplicateMessages = 0;
  let maxPerChannelInterval = 0;
  for (const times of acceptedByChannel.values()) {
    if (times.length > 1) {
      duplicateChannels++;
      duplicateMessages += times.length - 1;
    }
    for (let i = 0, j = 0; i < times.length; i++) {
      while ((times[i] as number) - (times[j] as number) >= CHANNEL_INTERVAL_MS) j++;
      maxPerChannelInterval = Math.max(maxPerChannelInterval, i - j + 1);
    }
  }
  return {
    ...counters,
    channels: acceptedByChannel.size,
    duplicateChannels,
    duplicateMessages,
    firstAcceptedAt,
    lastAcceptedAt,
    maxPerChannelInterval,
  };
}

/** Accepts or refuses one message to `channel` now; returns the Retry-After seconds when refused. */
function admit(
  channel: string,
): { retryAfter: number; reason: 'channel' | 'workspace' } | undefined {
  const now = performance.now();
  const last = lastByChannel.get(channel);
  if (last !== undefined && now - last < CHANNEL_INTERVAL_MS) {
    return {
      retryAfter: Math.max(1, Math.ceil((CHANNEL_INTERVAL_MS - (now - last)) / 1000)),
      reason: 'channel',
    };
  }
  if (WORKSPACE_RATE > 0) {
    tokens = Math.min(WORKSPACE_BURST, tokens + ((now - refilledAt) * WORKSPACE_RATE) / 1000);
    refilledAt = now;
    if (tokens < 1)
      return {
        retryAfter: Math.max(1, Math.ceil((1 - tokens) / WORKSPACE_RATE)),
        reason: 'workspace',
      };
    tokens -= 1;
  }
  lastByChannel.set(channel, now);
  const at = epochMs();
  const list = acceptedByChannel.get(channel) ?? [];
  list.push(now);
  acceptedByChannel.set(channel, list);
  counters.accepted++;
  firstAcceptedAt ??= at;
  lastAcceptedAt = at;
  return undefined;
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const method = /^\/api\/([\w.]+)/.exec(req.url ?? '/')?.[1] ?? '?';
    const raw = Buffer.concat(chunks).toString('utf8');
    let status = 200;
    let headers: Record<string, string> = {};
    let body: Record<string, unknown>;
    if (method === 'chat.postMessage') {
      const channel = String(
        (req.headers['content-type'] ?? '').startsWith('application/json')
          ? (JSON.parse(raw) as { channel?: unknown }).channel
          : new URLSearchParams(raw).get('channel'),
      );
      const refused = admit(channel);
      if (refused) {
        if (refused.reason === 'channel') counters.channel429++;
        else counters.workspace429++;
        status = 429;
        headers = { 'retry-after': String(refused.retryAfter) };
        body = { ok: false, error: 'ratelimited' };
      } else {
        body = { ok: true, channel, ts: `${nextTs++}.000100` };
      }
    } else if (method === 'auth.test') {
      counters.otherCalls++;
      body = {
        ok: true,
        url: 'https://bench.slack.test/',
        team: 'Bench Team',
        user: 'roadmap',
        team_id: 'T0BENCH',
        user_id: 'U0BOT',
        bot_id: 'B0BOT',
      };
    } else {
      counters.otherCalls++;
      body = { ok: true };
    }
    const answer = (): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(body));
    };
    if (LATENCY_MS > 0) setTimeout(answer, LATENCY_MS);
    else answer();
  });
});
server.keepAliveTimeout = 30_000;

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  send({ type: 'ready', url: `http://127.0.0.1:${port}` });
});

const stop = (): void => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 2_000).unref();
};
process.on('disconnect', stop);
process.on('message', (m: ParentToFake) => {
  if (m.type === 'stats') send({ type: 'stats', stats: stats() });
  else if (m.type === 'reset') {
    reset();
    send({ type: 'reset' });
  } else if (m.type === 'stop') stop();
});
