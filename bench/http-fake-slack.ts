/**
 * The fake Slack of the HTTP load bench, run as its own process (forked by bench/http-load.ts,
 * talking over IPC) so that the moment an answer reaches a response_url is stamped on an event
 * loop the load generator does not share. Listens on 127.0.0.1 only.
 *
 *   POST /api/<method>      the Web API: auth.test answers who the bot is; anything else ok
 *   POST /respond/<id>      a response_url: stamps the arrival and tells the parent
 *   /discord/v10/webhooks/<app>/<token>[/messages/@original]
 *                           Discord's interaction webhook (DISCORD_API_URL=<url>/discord): an
 *                           edit of @original or a follow-up is the answer to interaction
 *                           <token>, stamped like a response_url post; DELETE is acknowledged
 *
 * To the parent: { type: 'ready', url } once listening, then { type: 'answer', id, at, ok,
 * problem?, sample? } per response_url post (`at` in epoch milliseconds, sub-millisecond).
 * Records nothing else, so its memory stays flat however long the run. Exits when the parent
 * disconnects or sends { type: 'stop' }.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeMessage =
  | { type: 'ready'; url: string }
  | { type: 'answer'; id: string; at: number; ok: boolean; problem?: string; sample?: string }
  | { type: 'api'; method: string };

const APOLOGY = 'Sorry, something went wrong';
const send = (message: FakeMessage): void => void process.send?.(message);
const epochMs = (): number => performance.timeOrigin + performance.now();
let sampled = 0;

/** Is this what Discord's `/roadmap status` answers (embeds, not the error embed)? */
function judgeDiscord(raw: string): { ok: boolean; problem?: string; text?: string } {
  let body: { embeds?: { title?: unknown; description?: unknown }[] };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    return { ok: false, problem: 'webhook body is not JSON' };
  }
  const first = body.embeds?.[0];
  const text = [first?.title, first?.description].filter((t) => typeof t === 'string').join(' ');
  if (!first) return { ok: false, problem: 'answer without embeds', text };
  if (text.includes('Something went wrong'))
    return { ok: false, problem: 'the bot answered with its apology (a command failed)', text };
  return { ok: true, text };
}

/** Is this what `/roadmap status` answers (ephemeral Block Kit, not an apology)? */
function judge(raw: string): { ok: boolean; problem?: string; text?: string } {
  let body: { response_type?: unknown; text?: unknown; blocks?: unknown };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch {
    return { ok: false, problem: 'response_url body is not JSON' };
  }
  const text = typeof body.text === 'string' ? body.text : '';
  if (text.includes(APOLOGY))
    return { ok: false, problem: 'the bot answered with its apology (a command failed)', text };
  if (!Array.isArray(body.blocks) || body.blocks.length === 0)
    return { ok: false, problem: 'answer without blocks', text };
  return { ok: true, text };
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = epochMs();
    const url = req.url ?? '/';
    const respond = /^\/respond\/([^/?]+)/.exec(url);
    const webhook = /^\/discord\/v\d+\/webhooks\/\d+\/([^/?]+)/.exec(url);
    if (webhook) {
      res.writeHead(req.method === 'DELETE' ? 204 : 200, { 'content-type': 'application/json' });
      if (req.method === 'DELETE') {
        res.end();
        return;
      }
      res.end(JSON.stringify({ id: '900000000000000001', channel_id: '400000000000000001' }));
      const verdict = judgeDiscord(Buffer.concat(chunks).toString('utf8'));
      send({
        type: 'answer',
        id: webhook[1] as string,
        at,
        ok: verdict.ok,
        ...(verdict.problem ? { problem: verdict.problem } : {}),
        ...(!verdict.ok && verdict.text !== undefined
          ? { sample: verdict.text.slice(0, 300) }
          : {}),
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    if (respond) {
      res.end('{"ok":true}');
      const verdict = judge(Buffer.concat(chunks).toString('utf8'));
      const sample =
        verdict.text !== undefined && (sampled++ < 3 || !verdict.ok)
          ? verdict.text.slice(0, 300)
          : undefined;
      send({
        type: 'answer',
        id: respond[1] as string,
        at,
        ok: verdict.ok,
        ...(verdict.problem ? { problem: verdict.problem } : {}),
        ...(sample !== undefined ? { sample } : {}),
      });
      return;
    }
    const method = /^\/api\/([\w.]+)/.exec(url)?.[1] ?? '?';
    send({ type: 'api', method });
    if (method === 'auth.test') {
      res.end(
        JSON.stringify({
          ok: true,
          url: 'https://bench.slack.test/',
          team: 'Bench Team',
          user: 'roadmap',
          team_id: 'T0BENCH',
          user_id: 'U0BOT',
          bot_id: 'B0BOT',
        }),
      );
    } else {
      res.end(JSON.stringify({ ok: true, ts: `${Math.floor(Date.now() / 1000)}.000100` }));
    }
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
process.on('message', (m: { type?: string }) => {
  if (m.type === 'stop') stop();
});
