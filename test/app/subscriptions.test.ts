import { beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { renderText } from '../../src/core/messages/text.js';
import { admin, appWith, reader, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T15:00:00Z'));
let app: AppDeps;
const inSlack = {
  actor: { platform: 'slack' as const, id: 'U1', channel: 'C-TEAM' },
  isAdmin: true,
  defaultRoadmap: 'example',
};
const run = (line: string, who: Parameters<typeof runCommand>[1] = inSlack) =>
  runCommand(app, who, line, 'chat');
const subs = async () =>
  (
    await db.pool.query(
      `SELECT platform, channel_id, kind, min_severity, digest_time, timezone FROM subscriptions ORDER BY id`,
    )
  ).rows;

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('example'), clock);
});

describe('subscriptions', () => {
  it('subscribes the current channel to a digest at 09:00 in the roadmap timezone by default, and to alerts', async () => {
    expect((await run('subscribe digest')).exitCode).toBe(0);
    expect((await run('subscribe alerts warning')).exitCode).toBe(0);
    expect(await subs()).toEqual([
      {
        platform: 'slack',
        channel_id: 'C-TEAM',
        kind: 'digest',
        min_severity: null,
        digest_time: '09:00',
        timezone: 'America/New_York',
      },
      {
        platform: 'slack',
        channel_id: 'C-TEAM',
        kind: 'alerts',
        min_severity: 'warning',
        digest_time: null,
        timezone: null,
      },
    ]);
    // Subscribing again changes the time instead of adding a second digest.
    await run('subscribe digest 8:30 Europe/Paris');
    expect((await subs())[0]).toMatchObject({ digest_time: '08:30', timezone: 'Europe/Paris' });
  });

  it('refuses bad times, zones and severities, naming the field', async () => {
    const cases: [string, RegExp][] = [
      ['subscribe digest 25:00', /time: expected HH:MM/],
      ['subscribe digest 09:00 Mars/Olympus', /timezone: expected an IANA timezone/],
      ['subscribe alerts loud', /severity: expected info, warning or critical/],
      ['subscribe newsletter', /expected "subscribe digest" or "subscribe alerts"/],
    ];
    for (const [line, message] of cases) {
      const reply = await run(line);
      expect(reply.exitCode).not.toBe(0);
      expect(renderText(reply.message)).toMatch(message);
    }
  });

  it('unsubscribes, and says so when there was nothing to remove', async () => {
    expect((await run('unsubscribe alerts')).exitCode).toBe(0);
    const again = await run('unsubscribe alerts');
    expect(again.exitCode).toBe(1);
    expect(renderText(again.message)).toMatch(/has no alerts subscription/);
  });

  it('needs a channel from the CLI, and only admins may subscribe from chat', async () => {
    expect(
      (await runCommand(app, { ...admin, defaultRoadmap: 'example' }, 'subscribe alerts', 'cli'))
        .exitCode,
    ).toBe(2);
    expect(
      (
        await runCommand(
          app,
          { ...admin, defaultRoadmap: 'example' },
          'subscribe alerts --channel discord:123',
          'cli',
        )
      ).exitCode,
    ).toBe(0);
    const refused = await run('subscribe alerts', { ...reader, defaultRoadmap: 'example' });
    expect(renderText(refused.message)).toMatch(/only roadmap admins/);
  });

  it('refuses --channel in chat: a channel is subscribed from itself', async () => {
    const reply = await run('subscribe alerts --channel slack:C-ELSEWHERE');
    expect(reply.exitCode).toBe(2);
    expect(renderText(reply.message)).toMatch(/--channel is for the command line/);
    expect((await subs()).some((s) => s.channel_id === 'C-ELSEWHERE')).toBe(false);
  });

  it('previews the digest with digest --dry-run and sends nothing', async () => {
    await run('record active_users 350');
    const reply = await run('digest --dry-run');
    const text = renderText(reply.message);
    expect(text).toMatch(/Daily digest — Example SaaS — scaling roadmap — 2026-03-02/);
    expect(text).toMatch(/Headline metrics/);
    expect(text).toMatch(/Since the start/);
    expect(Number((await db.pool.query('SELECT count(*) AS n FROM deliveries')).rows[0].n)).toBe(0);
  });
});
