import { readdirSync } from 'node:fs';
import { EmbedBuilder, embedLength as buildersEmbedLength } from '@discordjs/builders';
import type { APIEmbed } from '@discordjs/core/http-only';
import { describe, expect, it } from 'vitest';
import {
  escapeMarkdown,
  renderDiscord,
  TONE_COLOUR,
  type DiscordMessage,
} from '../../src/adapters/discord/embeds.js';
import { embedLength, messageProblems, MESSAGE_LIMITS } from '../../src/adapters/discord/limits.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { gatesMessage, metricsMessage, statusMessage } from '../../src/core/messages/compose.js';
import type { Line, Message, Tone } from '../../src/core/messages/model.js';
import { bigV2Report, v2Messages } from '../support/big-v2.js';
import { ROADMAPS_DIR, shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';

/** The embeds renderer against Discord's limits. Pure: no I/O, fixed time. */

const NOW = new Date('2026-03-01T12:00:00Z');

/** Rebuilds each embed through @discordjs/builders, whose setters validate every limit. */
function buildersAccept(rendered: DiscordMessage): void {
  let total = 0;
  for (const e of rendered.embeds) {
    const b = new EmbedBuilder();
    if (e.title) b.setTitle(e.title);
    if (e.description) b.setDescription(e.description);
    if (e.fields) b.addFields(e.fields);
    if (e.footer) b.setFooter({ text: e.footer.text });
    if (e.color !== undefined) b.setColor(e.color);
    total += buildersEmbedLength(b.toJSON());
    expect(buildersEmbedLength(b.toJSON())).toBe(embedLength(e));
  }
  expect(total).toBeLessThanOrEqual(MESSAGE_LIMITS.embedsTotal);
}

function withinLimits(rendered: DiscordMessage): void {
  expect(messageProblems(rendered)).toEqual([]);
  buildersAccept(rendered);
}

const text = (rendered: DiscordMessage) =>
  rendered.embeds
    .flatMap((e: APIEmbed) => [
      e.title ?? '',
      e.description ?? '',
      ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
      e.footer?.text ?? '',
    ])
    .join('\n');

/** Every metric at a value far over any threshold (every alert fires), with a week of history. */
function loudReport(id: string) {
  const roadmap = shippedRoadmap(id);
  const values = Object.fromEntries(
    [...roadmap.metrics.values()]
      .filter((m) => !m.derive)
      .map((m) => [m.name, m.unit === 'flag' ? true : 1_000_000_000]),
  );
  return evaluateRoadmap(
    roadmap,
    snapshotOf(roadmap, values, new Date(NOW.getTime() - 60_000)),
    stateIn(),
    NOW,
  );
}

const seeds = readdirSync(ROADMAPS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''));

describe('seed roadmaps as Discord embeds', () => {
  it('the largest seed is mirai (most metrics and alerts): it is among those checked', () => {
    expect(seeds).toContain('mirai');
    const sizes = seeds
      .map(
        (id) => [id, shippedRoadmap(id).metrics.size + shippedRoadmap(id).alerts.length] as const,
      )
      .sort((a, b) => b[1] - a[1]);
    expect(sizes[0]?.[0]).toBe('mirai');
  });

  it.each(seeds)(
    '%s: status, metrics (with sparklines) and gates stay within every limit',
    (id) => {
      const report = loudReport(id);
      const status = renderDiscord(statusMessage(report));
      withinLimits(status);
      expect(status.embeds[0]?.color).toBe(TONE_COLOUR[statusMessage(report).tone]);
      const rows = report.metrics.map((metric, i) => ({
        metric,
        dayAgo: 10,
        weekAgo: 5,
        series: Array.from({ length: 48 }, (_, k) => (k * (i + 3)) % 17),
      }));
      const metrics = renderDiscord(
        metricsMessage(report.roadmap.name, report.roadmap.timezone, rows),
      );
      withinLimits(metrics);
      expect(text(metrics)).toMatch(/`[▁▂▃▄▅▆▇█]{48}`/);
      withinLimits(renderDiscord(gatesMessage(report)));
    },
  );
});

const line = (i: number, extra: Partial<Line> = {}): Line => ({
  icon: 'ok',
  text: `line-${i} ${'x'.repeat(40)}`,
  ...extra,
});
const message = (sections: Message['sections'], more: Partial<Message> = {}): Message => ({
  title: 'T',
  tone: 'info',
  sections,
  fallback: 'T',
  ...more,
});

describe('the renderer', () => {
  it('colours by tone', () => {
    for (const tone of ['ok', 'info', 'warn', 'alert', 'error'] as Tone[])
      expect(renderDiscord(message([], { tone })).embeds[0]?.color).toBe(TONE_COLOUR[tone]);
    expect(new Set(Object.values(TONE_COLOUR)).size).toBe(5);
  });

  it('draws progress bars and sparklines in code spans, and escapes roadmap text', () => {
    const out = text(
      renderDiscord(
        message([
          {
            title: 'Upgrade trigger',
            lines: [
              {
                icon: 'approaching',
                text: 'active_users 350 >= 400',
                progress: 0.875,
                series: [1, 2, 3, 4],
              },
            ],
          },
        ]),
      ),
    );
    expect(out).toContain('⚠️ active\\_users 350 >= 400 `█████████░` 88% `▁▃▆█`');
  });

  it('puts the subtitle and leading untitled lines in the description, titled sections in fields', () => {
    const out = renderDiscord(
      message(
        [{ lines: [line(1)] }, { title: 'Gates', lines: [line(2, { detail: 'ticked by alice' })] }],
        { subtitle: 'Next: Tier 1' },
      ),
    );
    expect(out.embeds[0]?.description).toBe(`Next: Tier 1\n\n✅ ${escapeMarkdown(line(1).text)}`);
    expect(out.embeds[0]?.fields).toEqual([
      { name: 'Gates', value: `✅ ${escapeMarkdown(line(2).text)}\n\u2003↳ ticked by alice` },
    ]);
  });

  it('splits a section longer than a field over continuation fields', () => {
    const out = renderDiscord(
      message([{ title: 'Metrics', lines: Array.from({ length: 40 }, (_, i) => line(i)) }]),
    );
    withinLimits(out);
    const fields = out.embeds[0]?.fields ?? [];
    expect(fields.length).toBeGreaterThan(1);
    expect(fields[0]?.name).toBe('Metrics');
    expect(fields.slice(1).every((f) => f.name === '\u200b')).toBe(true);
    expect(text(out)).not.toMatch(/and \d+ more/);
  });

  it('shows what a section already left out', () => {
    expect(
      renderDiscord(message([{ title: 'Gates', lines: [line(1)], omitted: 7 }])).embeds[0]
        ?.fields?.[0]?.value,
    ).toMatch(/\n… and 7 more$/);
  });

  it('truncates a huge message within the limits and counts exactly what was left out', () => {
    const sections = Array.from({ length: 8 }, (_, s) => ({
      title: `Section ${s}`,
      lines: Array.from({ length: 250 }, (_, i) => line(s * 1000 + i)),
    }));
    const out = renderDiscord(message(sections, { footer: 'evaluated at 12:00' }));
    withinLimits(out);
    const shown = (text(out).match(/line-\d+/g) ?? []).length;
    const marker = /… and (\d+) more \((\d+) more sections not shown\)/.exec(text(out));
    expect(marker).not.toBeNull();
    expect(Number(marker?.[1])).toBe(8 * 250 - shown);
    expect(out.embeds.at(-1)?.footer?.text).toBe('evaluated at 12:00');
  });

  it('uses up to 10 embeds for many short sections, and never more', () => {
    const sections = Array.from({ length: 400 }, (_, s) => ({
      title: `S${s}`,
      lines: [{ text: 'x' }],
    }));
    const out = renderDiscord(message(sections));
    withinLimits(out);
    expect(out.embeds.length).toBe(MESSAGE_LIMITS.embeds);
    expect(text(out)).toMatch(/… and \d+ more \(\d+ more sections not shown\)/);
  });

  it('clips over-long titles, footers, lines and details', () => {
    const out = renderDiscord(
      message(
        [
          {
            title: 't'.repeat(300),
            lines: [{ text: 'y'.repeat(10_000), detail: 'd'.repeat(500) }],
          },
        ],
        { title: 'T'.repeat(400), subtitle: 's'.repeat(5000), footer: 'f'.repeat(3000) },
      ),
    );
    withinLimits(out);
  });

  it('never leaves an open code span or a dangling escape when it cuts a line', () => {
    const out = renderDiscord(
      message([{ title: 'x', lines: [{ text: '_'.repeat(700), progress: 0.5 }] }]),
    );
    withinLimits(out);
    const value = out.embeds[0]?.fields?.[0]?.value ?? '';
    expect((value.match(/`/g) ?? []).length % 2).toBe(0);
    expect(value).toMatch(/…$/);
    expect(value).not.toMatch(/[^\\](\\\\)*\\…$/);
  });
});

describe('actions and mentions', () => {
  const alert = (more: Partial<Message> = {}) =>
    message([{ title: 'db', lines: [line(1)] }], {
      tone: 'alert',
      fallback: 'Oviya: db-cpu-high firing',
      actions: [
        {
          id: 'ack',
          label: 'Acknowledge',
          command: 'ack db-cpu-high --roadmap oviya',
          style: 'primary',
        },
        { id: 'snooze', label: 'Snooze 1 day', command: 'snooze db-cpu-high 1d --roadmap oviya' },
        { id: 'advance', label: 'Advance', command: 'advance --roadmap oviya', style: 'danger' },
      ],
      ...more,
    });

  it('turns actions into buttons carrying their command, styled', () => {
    const out = renderDiscord(alert());
    withinLimits(out);
    expect(out.components?.[0]?.components.map((b) => [b.label, b.style, b.custom_id])).toEqual([
      ['Acknowledge', 1, 'rb:ack db-cpu-high --roadmap oviya'],
      ['Snooze 1 day', 2, 'rb:snooze db-cpu-high 1d --roadmap oviya'],
      ['Advance', 4, 'rb:advance --roadmap oviya'],
    ]);
  });

  it('lays out at most 5 rows of 5; the rest, and commands too long for a custom_id, are shown as commands to type', () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      id: `a${i}`,
      label: `Record ${i}`.padEnd(100, '!'),
      command: `record active_users ${i}`,
    }));
    const long = { id: 'long', label: 'Ack', command: `ack ${'a'.repeat(120)} --roadmap oviya` };
    const out = renderDiscord(message([], { actions: [...many, long] }));
    withinLimits(out);
    expect(out.components).toHaveLength(5);
    expect(out.components?.every((r) => r.components.length === 5)).toBe(true);
    expect(out.components?.[0]?.components[0]?.label).toHaveLength(MESSAGE_LIMITS.buttonLabel);
    const shown = text(out);
    expect(shown).toContain('To act, run');
    expect(shown).toContain(
      `/roadmap ack alert:${'a'.repeat(120)} roadmap:oviya`.replace(/_/g, '\\_'),
    );
    expect(shown).toContain('/roadmap record metric:active\\_users value:29');
  });

  it('pages the alert role in the content of an urgent message, and only that role', () => {
    const out = renderDiscord(alert({ urgent: true }), { alertRoleId: '555' });
    expect(out.content).toBe('<@&555> Oviya: db-cpu-high firing');
    expect(out.allowed_mentions).toEqual({ parse: [], roles: ['555'] });
    withinLimits(out);
  });

  it('mentions nobody otherwise: not urgent, or no role configured', () => {
    for (const out of [
      renderDiscord(alert(), { alertRoleId: '555' }),
      renderDiscord(alert({ urgent: true })),
    ]) {
      expect(out.content).toBeUndefined();
      expect(out.allowed_mentions).toEqual({ parse: [] });
    }
  });
});

describe('the v2 parts as Discord embeds', () => {
  const AT = new Date('2026-05-10T10:00:00Z');
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
      new Date(AT.getTime() - 60_000),
    ),
    stateIn('growth'),
    AT,
  );

  it('status: the timeline in the description, the budget table, tracks, to-dos and plans as fields', () => {
    const rendered = renderDiscord(statusMessage(growth));
    withinLimits(rendered);
    const embed = rendered.embeds[0] as APIEmbed;
    expect(embed.description).toBe('Final stage · planned 2026-04-01 → 2026-06-30, on time');
    const field = (name: string) =>
      rendered.embeds.flatMap((e) => e.fields ?? []).find((f) => f.name === name)?.value;
    expect(field('Budget')).toBe(
      [
        '✅ infra: $4,500 of ≤ $5,000/month, within `█████████░` 90%',
        '❌ team: $16k of ≤ $15k/month, over `██████████` 107%',
        '⬜ compliance: ≤ $20k/year, planned',
        '❌ total/month: $20.5k of ≤ $20k, over `██████████` 102%',
        '⬜ total/year: ≤ $20k, planned',
        'ℹ️ Team: 3 people needed in 2 roles (1 later), none short',
      ].join('\n'),
    );
    expect(field('Tracks')).toBe(
      '❌ Database: Free tier → Team, over capacity `██████████` 1400%\n\u2003↳ db\\_size 7 GB of 500 MB',
    );
    expect(field('To-dos: 1 due')).toBe(
      '⏳ read-replica: Add a read replica\n\u2003↳ due since 2026-05-10',
    );
    expect(field('Plan')).toContain(
      '⚠️ paid\\_users 120 vs 162–198 expected at active\\_users 1,800: behind (−33%)',
    );
    expect(field('🔥 Budget team (warning): FIRING — team\\_cost > 15000')).toBeDefined();
  });

  it.each([
    ['example-v2 in growth', () => growth],
    ['the big synthetic v2 roadmap at its loudest', bigV2Report],
  ])('%s: status, budget, plan, tracks and the digest stay within the limits', (_name, report) => {
    for (const [name, message] of Object.entries(v2Messages(report()))) {
      const rendered = renderDiscord(message);
      expect({ name, problems: messageProblems(rendered) }).toEqual({ name, problems: [] });
      buildersAccept(rendered);
    }
  });
});
