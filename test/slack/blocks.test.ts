import type { KnownBlock } from '@slack/web-api';
import { describe, expect, it } from 'vitest';
import {
  ACTIONS_BLOCK_ID,
  escapeMrkdwn,
  renderSlack,
  renderSlackHome,
  SLACK_EMOJI,
  withOutcome,
} from '../../src/adapters/slack/blocks.js';
import {
  BLOCK_KIT,
  checkBlocks,
  HOME_LIMITS,
  MESSAGE_LIMITS,
} from '../../src/adapters/slack/limits.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { statusMessage } from '../../src/core/messages/compose.js';
import type { Icon, Line, Message } from '../../src/core/messages/model.js';
import { bigV2Report, v2Messages } from '../support/big-v2.js';
import { shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';

/** The Block Kit renderer against our own schema of Slack's limits. Pure: no I/O. */

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const texts = (blocks: KnownBlock[]) =>
  blocks
    .map((b) =>
      'text' in b && b.text && typeof b.text === 'object' && 'text' in b.text
        ? b.text.text
        : 'elements' in b
          ? JSON.stringify(b.elements)
          : '',
    )
    .join('\n');

describe('checkBlocks: the schema of Block Kit limits', () => {
  it.each<[string, unknown[], RegExp]>([
    [
      'a header over 150 characters',
      [{ type: 'header', text: { type: 'plain_text', text: 'x'.repeat(151) } }],
      /0\.text\.text: Too big/,
    ],
    ['a section over 3,000 characters', [section('x'.repeat(3001))], /0\.text\.text: Too big/],
    [
      'a section with 11 fields',
      [
        {
          type: 'section',
          fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn', text: 'f' })),
        },
      ],
      /0\.fields: Too big/,
    ],
    [
      'a field over 2,000 characters',
      [{ type: 'section', fields: [{ type: 'mrkdwn', text: 'x'.repeat(2001) }] }],
      /0\.fields\.0\.text: Too big/,
    ],
    [
      'a section with neither text nor fields',
      [{ type: 'section' }],
      /a section needs text or fields/,
    ],
    ['an empty text', [section('')], /Too small/],
    ['51 blocks', Array.from({ length: 51 }, () => section('x')), /blocks: Too big/],
    [
      'a block_id over 255 characters',
      [{ type: 'divider', block_id: 'b'.repeat(256) }],
      /0\.block_id: Too big/,
    ],
    [
      'a duplicate block_id',
      [
        { type: 'divider', block_id: 'a' },
        { type: 'divider', block_id: 'a' },
      ],
      /duplicate block_id "a"/,
    ],
    [
      'a duplicate action_id',
      [
        {
          type: 'actions',
          elements: [1, 2].map(() => ({
            type: 'button',
            action_id: 'x',
            text: { type: 'plain_text', text: 'b' },
          })),
        },
      ],
      /duplicate action_id "x"/,
    ],
    [
      'a button label over 75 characters',
      [
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'x', text: { type: 'plain_text', text: 'b'.repeat(76) } },
          ],
        },
      ],
      /text\.text: Too big/,
    ],
    [
      'more than 13k characters in all',
      Array.from({ length: 5 }, () => section('x'.repeat(2900))),
      /over 13000/,
    ],
    [
      'a block type the renderer never makes',
      [{ type: 'image', image_url: 'https://x', alt_text: 'x' }],
      /0\.type: Invalid discriminator/,
    ],
  ])('refuses %s', (_what, blocks, problem) => {
    expect(checkBlocks(blocks).join('\n')).toMatch(problem);
  });

  it('accepts 100 blocks in the Home tab but not 101, with no total-length limit there', () => {
    expect(
      checkBlocks(
        Array.from({ length: 100 }, () => section('x'.repeat(2000))),
        HOME_LIMITS,
      ),
    ).toEqual([]);
    expect(
      checkBlocks(
        Array.from({ length: 101 }, () => section('x')),
        HOME_LIMITS,
      ),
    ).not.toEqual([]);
  });
});

describe('renderSlack', () => {
  const small: Message = {
    title: 'Oviya — Tier 0',
    subtitle: 'Next: Tier 1',
    tone: 'alert',
    sections: [
      {
        title: 'Upgrade trigger: FIRING — active_users >= 400',
        lines: [
          { icon: 'met', text: 'active_users 420 >= 400', progress: 1.05 },
          {
            icon: 'open',
            text: 'response_time_p95 1.2 s > 2 s',
            progress: 0.6,
            detail: 'at 2026-03-01 15:00',
          },
          { icon: 'ok', text: 'Active users: 420', series: [300, 330, 380, 400, 420] },
        ],
      },
    ],
    fallback: 'Oviya: Tier 0, upgrade trigger firing',
    actions: [
      {
        id: 'ack',
        label: 'Acknowledge',
        command: 'ack tier0.upgrade --roadmap oviya',
        style: 'primary',
      },
      { id: 'advance', label: 'Advance', command: 'advance --roadmap oviya', style: 'danger' },
    ],
    footer: 'Evaluated 2026-03-01 15:00',
  };

  it('header, subtitle, section with emoji, bars and sparklines, buttons, footer', () => {
    const { text, blocks } = renderSlack(small);
    expect(text).toBe('Oviya: Tier 0, upgrade trigger firing');
    expect(blocks).toEqual([
      {
        type: 'header',
        text: { type: 'plain_text', text: ':rotating_light: Oviya — Tier 0', emoji: true },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Next: Tier 1' }] },
      section(
        [
          '*Upgrade trigger: FIRING — active_users &gt;= 400*',
          ':dart:  active_users 420 &gt;= 400  `██████████` 105%',
          ':white_large_square:  response_time_p95 1.2 s &gt; 2 s  `██████░░░░` 60%\n\u2003\u2003at 2026-03-01 15:00',
          ':white_check_mark:  Active users: 420  `▁▃▆▇█`',
        ].join('\n'),
      ),
      {
        type: 'actions',
        block_id: ACTIONS_BLOCK_ID,
        elements: [
          {
            type: 'button',
            action_id: 'roadmap_action:0',
            text: { type: 'plain_text', text: 'Acknowledge', emoji: true },
            value: 'ack tier0.upgrade --roadmap oviya',
            style: 'primary',
          },
          {
            type: 'button',
            action_id: 'roadmap_action:1',
            text: { type: 'plain_text', text: 'Advance', emoji: true },
            value: 'advance --roadmap oviya',
            style: 'danger',
          },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'Evaluated 2026-03-01 15:00' }] },
    ]);
  });

  it('has an emoji for every icon', () => {
    const icons = Object.keys(SLACK_EMOJI) as Icon[];
    expect(icons).toHaveLength(12);
    for (const icon of icons) expect(SLACK_EMOJI[icon]).toMatch(/^:[a-z_]+:$/);
  });

  it('escapes what people typed so it cannot mention @channel or forge links', () => {
    const { text, blocks } = renderSlack({
      title: '<!channel>',
      tone: 'info',
      sections: [{ lines: [{ text: '<!channel> & <https://evil|click>' }] }],
      fallback: '<!here> hi',
    });
    expect(text).toBe('&lt;!here&gt; hi');
    expect(texts(blocks)).toContain('&lt;!channel&gt; &amp; &lt;https://evil|click&gt;');
    expect(escapeMrkdwn('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  });

  it('urgent messages page the channel with <!here>', () => {
    const { text, blocks } = renderSlack({ ...small, urgent: true });
    expect(text.startsWith('<!here> ')).toBe(true);
    expect(texts(blocks)).toMatch(/^<!here> Oviya: Tier 0/m);
  });

  it('cuts a long list to what fits and says how many were left out', () => {
    const lines: Line[] = Array.from({ length: 1000 }, (_, i) => ({
      icon: 'open',
      text: `gate-${i}: a checklist item with a fair amount of text to it`,
    }));
    const { blocks } = renderSlack({
      title: 'Checklist',
      tone: 'info',
      sections: [{ title: 'Gates', lines, omitted: 5 }],
      fallback: 'Checklist',
    });
    expect(checkBlocks(blocks)).toEqual([]);
    const all = texts(blocks);
    const shown = all.match(/gate-\d+:/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(50);
    expect(all).toContain(`… and ${1000 - shown + 5} more`);
  });

  it('stays within every limit whatever it is given', () => {
    const long = 'word '.repeat(3000);
    const message: Message = {
      title: long,
      subtitle: long,
      tone: 'warn',
      sections: Array.from({ length: 60 }, (_, s) => ({
        title: `${s} ${long}`,
        lines: Array.from({ length: 80 }, (_, i) => ({
          icon: 'approaching' as const,
          text: `${i} ${long}`,
          detail: long,
          progress: i / 80,
          series: [1, 5, 3, 8, 2],
        })),
      })),
      fallback: long.repeat(20),
      actions: Array.from({ length: 40 }, (_, i) => ({
        id: `a${i}`,
        label: long,
        command: `check gate-${i}`,
      })),
      footer: long,
      urgent: true,
    };
    const { text, blocks } = renderSlack(message);
    expect(checkBlocks(blocks)).toEqual([]);
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(blocks[0]?.type).toBe('header');
    expect(blocks.filter((b) => b.type === 'actions')).toHaveLength(1);
    expect(texts(blocks)).toMatch(/… and \d+ more sections/);
  });

  it('splits a section longer than 3,000 characters into several section blocks', () => {
    const lines: Line[] = Array.from({ length: 40 }, (_, i) => ({
      text: `${i} ${'x'.repeat(120)}`,
    }));
    const { blocks } = renderSlack({
      title: 't',
      tone: 'info',
      sections: [{ lines }],
      fallback: 't',
    });
    expect(blocks.filter((b) => b.type === 'section').length).toBeGreaterThan(1);
    expect(texts(blocks).match(/^• {2}\d+ x+$/gm)).toHaveLength(40);
    expect(checkBlocks(blocks)).toEqual([]);
  });

  it('shows a code block (status --json) cut to fit', () => {
    const code = JSON.stringify(
      { items: Array.from({ length: 2000 }, (_, i) => ({ i })) },
      null,
      2,
    );
    const { blocks } = renderSlack(small, { code });
    expect(checkBlocks(blocks)).toEqual([]);
    expect(texts(blocks)).toMatch(/^```\{[\s\S]*\(truncated\)```$/m);
  });

  it('leaves room in a message with buttons for the outcome line a click adds', () => {
    const lines: Line[] = Array.from({ length: 500 }, (_, i) => ({
      text: `${i} ${'y'.repeat(60)}`,
    }));
    const { blocks } = renderSlack({ ...small, sections: [{ lines }] });
    const after = withOutcome(
      blocks,
      ACTIONS_BLOCK_ID,
      `:white_check_mark: *Acknowledge* by <@U0ADMIN> — ${'z'.repeat(400)}`,
    );
    expect(checkBlocks(after)).toEqual([]);
  });
});

describe('withOutcome', () => {
  it('removes the clicked buttons, keeps the rest, and appends who did what', () => {
    const { blocks } = renderSlack({
      title: 't',
      tone: 'info',
      sections: [{ lines: [{ text: 'a' }] }],
      fallback: 't',
      actions: [{ id: 'x', label: 'X', command: 'status' }],
      footer: 'f',
    });
    const after = withOutcome(blocks, ACTIONS_BLOCK_ID, 'done by <@U1>');
    expect(after).toEqual([
      ...blocks.filter((b) => b.type !== 'actions'),
      { type: 'context', elements: [{ type: 'mrkdwn', text: 'done by <@U1>' }] },
    ]);
  });

  it('stays within the limits when the message was already full', () => {
    const full = Array.from({ length: MESSAGE_LIMITS.maxBlocks }, () =>
      section('x'.repeat(250)),
    ) as KnownBlock[];
    expect(
      checkBlocks(withOutcome(full, undefined, 'o'.repeat(BLOCK_KIT.contextText + 100))),
    ).toEqual([]);
  });
});

describe('renderSlackHome', () => {
  const status = (i: number): Message => ({
    title: `Roadmap ${i}`,
    tone: 'ok',
    sections: Array.from({ length: 8 }, (_, s) => ({
      title: `Section ${s}`,
      lines: Array.from({ length: 30 }, (_, l) => ({
        icon: 'ok' as const,
        text: `line ${l} ${'w'.repeat(40)}`,
      })),
    })),
    fallback: `Roadmap ${i}`,
    actions: [{ id: 'a', label: 'A', command: 'status' }],
  });

  it('fits many roadmaps in 100 blocks, without buttons, and says how many were left out', () => {
    const blocks = renderSlackHome(
      Array.from({ length: 40 }, (_, i) => status(i)),
      'intro',
    );
    expect(checkBlocks(blocks, HOME_LIMITS)).toEqual([]);
    expect(blocks.length).toBeLessThanOrEqual(100);
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(texts(blocks)).toMatch(/… and \d+ more roadmaps/);
  });

  it('says so when no roadmap is loaded', () => {
    expect(texts(renderSlackHome([]))).toMatch(/No roadmap is loaded yet/);
  });
});

describe('the v2 parts as Block Kit', () => {
  const NOW = new Date('2026-05-10T10:00:00Z');
  const roadmap = shippedRoadmap('example-v2');
  // Growth in May: infra within at 90%, team over, the database track due and over capacity.
  const growth = evaluateRoadmap(
    roadmap,
    snapshotOf(
      roadmap,
      {
        active_users: 1800,
        paid_users: 120,
        mrr: 30000,
        infra_cost: 4500,
        team_cost: 16000,
        db_size: 7e9,
        response_time_p95: 300,
      },
      new Date(NOW.getTime() - 60_000),
    ),
    stateIn('growth'),
    NOW,
  );

  it('status shows the timeline, the budget table with bars, tracks, to-dos and plans', () => {
    const { blocks } = renderSlack(statusMessage(growth));
    expect(checkBlocks(blocks)).toEqual([]);
    const all = texts(blocks);
    expect(all).toContain('Final stage · planned 2026-04-01 → 2026-06-30, on time');
    expect(all).toContain(
      [
        '*Budget*',
        ':white_check_mark:  infra: $4,500 of ≤ $5,000/month, within  `█████████░` 90%',
        ':x:  team: $16k of ≤ $15k/month, over  `██████████` 107%',
        ':white_large_square:  compliance: ≤ $20k/year, planned',
      ].join('\n'),
    );
    expect(all).toContain(
      ':x:  Database: Free tier → Team, over capacity  `██████████` 1400%\n\u2003\u2003db_size 7 GB of 500 MB',
    );
    expect(all).toContain(
      '*To-dos: 1 due*\n:hourglass_flowing_sand:  read-replica: Add a read replica',
    );
    expect(all).toContain(
      ':warning:  paid_users 120 vs 162–198 expected at active_users 1,800: behind (−33%)',
    );
    expect(all).toContain('*🔥 Budget team (warning): FIRING — team_cost &gt; 15000*');
  });

  it.each([
    ['example-v2 in growth', () => growth],
    ['the big synthetic v2 roadmap at its loudest', bigV2Report],
  ])('%s: status, budget, plan, tracks and the digest stay within the limits', (_name, report) => {
    for (const [name, message] of Object.entries(v2Messages(report()))) {
      const { blocks } = renderSlack(message);
      expect({ name, problems: checkBlocks(blocks) }).toEqual({ name, problems: [] });
    }
  });

  it('the big roadmap is cut with "… and N more", never refused', () => {
    const { blocks } = renderSlack(v2Messages(bigV2Report()).status as Message);
    expect(texts(blocks)).toMatch(/… and \d+ more/);
  });
});
