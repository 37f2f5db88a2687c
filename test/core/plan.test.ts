import { describe, expect, it } from 'vitest';
import type { EpisodeRecord, FirstPost, StoredTrigger } from '../../src/core/alerts/episode.js';
import { keyText, type Subscriber } from '../../src/core/alerts/notify.js';
import {
  episodeIdOf,
  episodeMessage,
  planAlerts,
  type AlertAction,
  type EpisodeRef,
  type PlanInput,
} from '../../src/core/alerts/plan.js';
import type { TargetReport, TriggerReport } from '../../src/core/evaluate/report.js';
import type { TodoReport } from '../../src/core/evaluate/todos.js';
import type { TransitionReason, TriggerMemory } from '../../src/core/evaluate/transition.js';

const T0 = new Date('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const at = (hours: number) => new Date(T0.getTime() + hours * HOUR);
const roadmap = { id: 'r', name: 'R', timezone: 'UTC' };

const slack: Subscriber = { platform: 'slack', channel: 'C1', minSeverity: 'info' };
const pager: Subscriber = { platform: 'discord', channel: 'PAGER', minSeverity: 'critical' };

// Memories, as the evaluator leaves them and the store keeps them.
const ok = (since = T0): TriggerMemory => ({ state: 'ok', since });
const pending = (since = T0): TriggerMemory => ({ state: 'pending', since, activeSince: since });
const firing = (since = T0): TriggerMemory => ({
  state: 'firing',
  since,
  activeSince: since,
  firingSince: since,
});
const unknown = (firingSince = T0): TriggerMemory => ({
  state: 'unknown',
  since: at(1),
  activeSince: firingSince,
  firingSince,
});
const resolved = (since: Date): TriggerMemory => ({ state: 'resolved', since });
const approaching = (since = T0): TriggerMemory => ({ state: 'approaching', since });
const stored = (memory: TriggerMemory, episodeId?: number): StoredTrigger => ({
  ...memory,
  ...(episodeId !== undefined ? { episodeId } : {}),
});

/** The trigger `t` as this evaluation reports it. */
const trigger = (memory: TriggerMemory, reason: TransitionReason): TriggerReport => ({
  id: 't',
  kind: 'alert',
  severity: 'warning',
  state: memory.state,
  reason,
  memory,
  condition: 'x > 1',
  comparisons: [],
  missing: [],
});

const episode = (over: Partial<EpisodeRecord> = {}): EpisodeRecord => ({
  id: 7,
  roadmapId: 'r',
  triggerId: 't',
  kind: 'alert',
  severity: 'warning',
  condition: 'x > 1',
  firedAt: T0,
  ...over,
});
const posts: FirstPost[] = [
  { id: 11, platform: 'slack', channel: 'C1' },
  { id: 12, platform: 'discord', channel: 'D1' },
];

interface Case {
  what: string;
  /** The trigger as evaluated now; absent: the roadmap has no trigger any more (stage left). */
  now?: TriggerReport;
  memory?: Record<string, StoredTrigger>;
  episodes?: EpisodeRecord[];
  firstPosts?: Record<number, FirstPost[]>;
  subscribers?: Subscriber[];
  targets?: TargetReport[];
  targetsMet?: string[];
  /** Kept targets remembered as lapsed. */
  targetsLapsed?: string[];
  /** The current stage's to-dos as evaluated now. */
  todos?: TodoReport[];
  at?: Date;
  expect: string[];
}

/** An episode as a key names it: its id, or `<new t>` for the one the plan opens for `t`. */
const ref = (r: EpisodeRef) => ('id' in r ? String(r.id) : `<new ${r.openedFor}>`);

/** An action as one line: what, on what, with which key, and why. */
function line(a: AlertAction): string {
  switch (a.do) {
    case 'open-episode':
      return `open ${a.trigger} (${a.reason})`;
    case 'close-episode':
      return `close #${a.episodeId} ${a.trigger} (${a.reason})`;
    case 'enqueue': {
      const d = a.delivery;
      const key = 'key' in d.key ? d.key.key : `alert:${ref(d.episode!)}:${d.key.episodeEvent}`;
      return `enqueue ${d.kind} ${key}${d.updateOf ? ` editing ${d.updateOf}` : ''} (${a.reason})`;
    }
    case 'mark-todos-due':
      return `todos due in ${a.stageId}: ${a.todos.map((t) => `${t.todoId}@${t.at.toISOString()}`).join(', ')} (${a.reason})`;
    case 'mark-targets-lapsed':
      return `targets ${a.changes.map((c) => `${c.targetId} ${c.lapsed ? 'lapsed' : 'held'}@${c.at.toISOString()}`).join(', ')} (${a.reason})`;
    case 'remember':
      return `remember ${a.trigger} ${a.memory.state}${a.episode ? ` episode ${ref(a.episode)}` : ''} (${a.reason})`;
    case 'mark-targets-met':
      return `targets met ${a.targets.map((t) => t.targetId).join(', ')} (${a.reason})`;
  }
}

function inputOf(c: Case): PlanInput {
  return {
    report: {
      roadmap,
      triggers: c.now ? [c.now] : [],
      targets: c.targets ?? [],
      metrics: [
        {
          name: 'users',
          label: 'Users',
          unit: 'count',
          derived: false,
          stale: false,
          reviewDue: false,
        },
      ],
      next: { id: 's2', name: 'Stage 2' },
      stage: { id: 's1', name: 'Stage 1', index: 0 },
      actions: c.todos ?? [],
    },
    memory: new Map(Object.entries(c.memory ?? {})),
    episodes: c.episodes ?? [],
    firstPosts: new Map(Object.entries(c.firstPosts ?? {}).map(([k, v]) => [Number(k), v])),
    targetsMet: new Set(c.targetsMet ?? []),
    targetsLapsed: new Set(c.targetsLapsed ?? []),
    subscribers: c.subscribers ?? [slack],
    repeatIntervalMs: 4 * HOUR,
    now: c.at ?? T0,
  };
}

const met = (id: string, metAt?: Date): TargetReport => ({
  id,
  state: metAt ? 'met' : 'open',
  condition: 'users >= 10',
  ...(metAt ? { metAt } : {}),
  comparisons: [],
  missing: [],
});

/** A to-do as evaluated now: `newlyDue` when its `when` first held in this evaluation. */
const todo = (id: string, over: Partial<TodoReport> = {}): TodoReport => ({
  id,
  text: `Do ${id}`,
  state: 'open',
  newlyDue: false,
  condition: 'users >= 1500',
  comparisons: [],
  missing: [],
  ...over,
});
const becameDue = (id: string, when = T0) =>
  todo(id, { state: 'due', dueAt: when, newlyDue: true });

/** A kept target as evaluated now: met, lapsed (since when), or met once and unknown now. */
const kept = (id: string, state: 'met' | 'lapsed', lapsedSince?: Date): TargetReport => ({
  id,
  state,
  condition: 'mrr > cost',
  metAt: at(-10),
  keep: true,
  ...(lapsedSince ? { lapsedSince } : {}),
  comparisons: [],
  missing: [],
});

const warnings: Subscriber = { platform: 'slack', channel: 'C-WARN', minSeverity: 'warning' };
const discord: Subscriber = { platform: 'discord', channel: 'D1', minSeverity: 'info' };

// Each row: what is remembered, how the trigger evaluates now, and every action the
// engine takes, in order (repeat interval 4h; one Slack channel subscribed unless said).
const cases: Case[] = [
  // Nothing remembered and nothing holds: only the memory is written.
  {
    what: 'quiet trigger',
    now: trigger(ok(), 'condition-false'),
    expect: ['remember t ok (condition-false)'],
  },
  // The condition holds but `for` has not elapsed: pending is remembered, nothing is sent.
  {
    what: 'pending',
    now: trigger(pending(), 'for-not-elapsed'),
    expect: ['remember t pending (for-not-elapsed)'],
  },
  // It fires: an episode opens, and the first notification names it (its id comes from the
  // database when the plan is applied), as does the memory.
  {
    what: 'starts firing',
    memory: { t: stored(pending(at(-1))) },
    now: trigger(firing(), 'for-elapsed'),
    expect: [
      'open t (started-firing)',
      'enqueue firing alert:<new t>:fired:slack:C1 (first-notification)',
      'remember t firing episode <new t> (for-elapsed)',
    ],
  },
  // A channel that wants only critical alerts gets nothing of a warning; the episode still opens.
  {
    what: 'fires below a channel’s minimum severity',
    now: trigger(firing(), 'for-elapsed'),
    subscribers: [pager],
    expect: ['open t (started-firing)', 'remember t firing episode <new t> (for-elapsed)'],
  },
  // The memory lost its episode (say, trigger_states was cleared) while one is still open:
  // the firing continues that episode instead of opening a second one.
  {
    what: 'fires while its episode is open but forgotten',
    now: trigger(firing(), 'for-elapsed'),
    episodes: [episode()],
    expect: [
      'enqueue firing alert:7:fired:slack:C1 (first-notification)',
      'remember t firing episode 7 (for-elapsed)',
    ],
  },
  // Still firing inside the repeat interval: the memory keeps the episode, nothing is sent.
  {
    what: 'still firing inside the interval',
    memory: { t: stored(firing(), 7) },
    episodes: [episode()],
    now: trigger(firing(), 'still-firing'),
    at: at(3),
    expect: ['remember t firing episode 7 (still-firing)'],
  },
  // Still firing after 4h: repeat 1, keyed by its number so every replica names it alike.
  {
    what: 'repeat after the interval',
    memory: { t: stored(firing(), 7) },
    episodes: [episode()],
    now: trigger(firing(), 'still-firing'),
    at: at(5),
    expect: [
      'enqueue repeat alert:7:repeat:1:slack:C1 (repeat-interval-elapsed)',
      'remember t firing episode 7 (still-firing)',
    ],
  },
  // Acknowledged: no more repeats.
  {
    what: 'acknowledged',
    memory: { t: stored(firing(), 7) },
    episodes: [episode({ acknowledgedAt: at(1), acknowledgedBy: 'alice' })],
    now: trigger(firing(), 'still-firing'),
    at: at(9),
    expect: ['remember t firing episode 7 (still-firing)'],
  },
  // Snoozed until 10h: no repeat at 9h, repeat 2 at 11h.
  {
    what: 'snoozed',
    memory: { t: stored(firing(), 7) },
    episodes: [episode({ snoozedUntil: at(10), snoozedBy: 'bob' })],
    now: trigger(firing(), 'still-firing'),
    at: at(9),
    expect: ['remember t firing episode 7 (still-firing)'],
  },
  {
    what: 'snooze over',
    memory: { t: stored(firing(), 7) },
    episodes: [episode({ snoozedUntil: at(10), snoozedBy: 'bob' })],
    now: trigger(firing(), 'still-firing'),
    at: at(11),
    expect: [
      'enqueue repeat alert:7:repeat:2:slack:C1 (repeat-interval-elapsed)',
      'remember t firing episode 7 (still-firing)',
    ],
  },
  // Data goes stale mid-episode: unknown, the episode is kept, nothing resolves or is sent.
  {
    what: 'unknown mid-episode',
    memory: { t: stored(firing(), 7) },
    episodes: [episode()],
    now: trigger(unknown(), 'no-data'),
    at: at(1),
    expect: ['remember t unknown episode 7 (no-data)'],
  },
  // It stops holding: the episode closes, its first posts (one per channel) are edited to
  // say so, the resolution is sent, and the memory names the episode one last time.
  {
    what: 'resolves',
    memory: { t: stored(firing(), 7) },
    episodes: [episode()],
    firstPosts: { 7: posts },
    now: trigger(resolved(at(2)), 'cleared'),
    at: at(2),
    expect: [
      'close #7 t (trigger-resolved)',
      'enqueue update alert:7:edit:resolved:11 editing 11 (edit-resolved)',
      'enqueue update alert:7:edit:resolved:12 editing 12 (edit-resolved)',
      'enqueue resolved alert:7:resolved:slack:C1 (episode-resolved)',
      'remember t resolved episode 7 (cleared)',
    ],
  },
  // The evaluation after: ok, and the memory lets go of the episode.
  {
    what: 'quiet after resolving',
    memory: { t: stored(resolved(at(2)), 7) },
    episodes: [episode({ resolvedAt: at(2) })],
    now: trigger(ok(at(3)), 'condition-false'),
    at: at(3),
    expect: ['remember t ok (condition-false)'],
  },
  // Resolved again while its episode is already closed (a replay of the same evaluation):
  // nothing to close; the edits and the resolution carry the keys they had, so the outbox
  // queues none of them twice.
  {
    what: 'resolves an episode already closed',
    memory: { t: stored(firing(), 7) },
    episodes: [episode({ resolvedAt: at(2) })],
    firstPosts: { 7: posts.slice(0, 1) },
    now: trigger(resolved(at(2)), 'cleared'),
    at: at(2),
    expect: [
      'enqueue update alert:7:edit:resolved:11 editing 11 (edit-resolved)',
      'enqueue resolved alert:7:resolved:slack:C1 (episode-resolved)',
      'remember t resolved episode 7 (cleared)',
    ],
  },
  // Crossing into approaching: one notice per crossing, named by when it was entered; no episode.
  {
    what: 'crosses into approaching',
    memory: { t: stored(ok()) },
    now: trigger(approaching(at(1)), 'approaching'),
    at: at(1),
    expect: [
      'enqueue approaching approaching:r:t:2026-03-01T13:00:00.000Z:slack:C1 (crossed-into-approaching)',
      'remember t approaching (approaching)',
    ],
  },
  {
    what: 'still approaching',
    memory: { t: stored(approaching(at(1))) },
    now: trigger(approaching(at(1)), 'approaching'),
    at: at(2),
    expect: ['remember t approaching (approaching)'],
  },
  // The team left the stage whose upgrade trigger was firing: the trigger is evaluated no
  // more, so its episode closes, its posts say so, and it is remembered as ok.
  {
    what: 'stage left while its upgrade trigger fires',
    memory: { t: stored(firing(), 7) },
    episodes: [episode()],
    firstPosts: { 7: posts },
    at: at(2),
    expect: [
      'close #7 t (trigger-unwatched)',
      'enqueue update alert:7:edit:left-stage:11 editing 11 (edit-left-stage)',
      'enqueue update alert:7:edit:left-stage:12 editing 12 (edit-left-stage)',
      'remember t ok (trigger-unwatched)',
    ],
  },
  // Left just after it resolved: the episode is closed already; only the memory lets go.
  {
    what: 'stage left after its trigger resolved',
    memory: { t: stored(resolved(at(1)), 7) },
    episodes: [episode({ resolvedAt: at(1) })],
    at: at(2),
    expect: ['remember t ok (trigger-unwatched)'],
  },
  // A trigger no longer evaluated that had no episode: left as it is.
  {
    what: 'stage left while its trigger was pending',
    memory: { t: stored(pending()) },
    at: at(2),
    expect: [],
  },
  // A target met for the first time is remembered with when; one remembered already is not.
  {
    what: 'targets met',
    targets: [met('a', at(-1)), met('b', at(-2)), met('c')],
    targetsMet: ['b'],
    expect: ['targets met a (targets-met)'],
  },
  // A to-do whose `when` first held: latched with when, then announced once per channel
  // subscribed at `info`, keyed by roadmap, stage, to-do and channel (so a second replica
  // deciding the same queues nothing). A channel that wants warnings and up gets nothing.
  {
    what: 'a to-do becomes due',
    todos: [becameDue('replica'), todo('soc2')],
    subscribers: [slack, warnings, discord, pager],
    expect: [
      'todos due in s1: replica@2026-03-01T12:00:00.000Z (todos-became-due)',
      'enqueue todo-due todo-due:r:s1:replica:slack:C1 (todo-became-due)',
      'enqueue todo-due todo-due:r:s1:replica:discord:D1 (todo-became-due)',
    ],
  },
  // Two to-dos due in the same evaluation: one latch for both, then each one's announcements.
  {
    what: 'two to-dos become due together',
    todos: [becameDue('a'), becameDue('b')],
    expect: [
      'todos due in s1: a@2026-03-01T12:00:00.000Z, b@2026-03-01T12:00:00.000Z (todos-became-due)',
      'enqueue todo-due todo-due:r:s1:a:slack:C1 (todo-became-due)',
      'enqueue todo-due todo-due:r:s1:b:slack:C1 (todo-became-due)',
    ],
  },
  // Latched before (due, not newly): nothing is latched or announced again.
  {
    what: 'a to-do due since an earlier evaluation',
    todos: [todo('replica', { state: 'due', dueAt: at(-5), newlyDue: false })],
    expect: [],
  },
  // Due and past its `by` (overdue wins the state): it still became due now, so it is latched
  // and announced.
  {
    what: 'a to-do becomes due after its deadline',
    todos: [{ ...becameDue('late'), state: 'overdue', by: 'month 1', deadline: at(-24) }],
    expect: [
      'todos due in s1: late@2026-03-01T12:00:00.000Z (todos-became-due)',
      'enqueue todo-due todo-due:r:s1:late:slack:C1 (todo-became-due)',
    ],
  },
  // No channel wants `info`: the to-do is still latched (it must not be announced later).
  {
    what: 'a to-do becomes due with no channel subscribed at info',
    todos: [becameDue('replica')],
    subscribers: [warnings],
    expect: ['todos due in s1: replica@2026-03-01T12:00:00.000Z (todos-became-due)'],
  },
  // In the same evaluation as a trigger that starts firing: the episode is opened before the
  // notification naming it; the to-do's latch and announcement follow the triggers' actions.
  {
    what: 'a to-do becomes due while a trigger starts firing',
    memory: { t: stored(pending(at(-1))) },
    now: trigger(firing(), 'for-elapsed'),
    todos: [becameDue('replica')],
    expect: [
      'open t (started-firing)',
      'enqueue firing alert:<new t>:fired:slack:C1 (first-notification)',
      'remember t firing episode <new t> (for-elapsed)',
      'todos due in s1: replica@2026-03-01T12:00:00.000Z (todos-became-due)',
      'enqueue todo-due todo-due:r:s1:replica:slack:C1 (todo-became-due)',
    ],
  },
  // A kept target found lapsed for the first time: the lapse is remembered from when it began.
  {
    what: 'a kept target lapses',
    targets: [kept('profitable', 'lapsed', at(1)), kept('other', 'met')],
    targetsMet: ['profitable', 'other'],
    at: at(1),
    expect: ['targets profitable lapsed@2026-03-01T13:00:00.000Z (targets-lapsed)'],
  },
  // Remembered lapsed and still lapsed (or unknown data keeping the lapse): nothing changes.
  {
    what: 'a kept target still lapsed',
    targets: [kept('profitable', 'lapsed', at(1))],
    targetsMet: ['profitable'],
    targetsLapsed: ['profitable'],
    at: at(3),
    expect: [],
  },
  // Remembered lapsed and holding again: the lapse ends now.
  {
    what: 'a lapsed kept target holds again',
    targets: [kept('profitable', 'met')],
    targetsMet: ['profitable'],
    targetsLapsed: ['profitable'],
    at: at(4),
    expect: ['targets profitable held@2026-03-01T16:00:00.000Z (targets-held-again)'],
  },
  // One lapses while another holds again, in the same evaluation: both remembered, begun first.
  {
    what: 'one kept target lapses as another holds again',
    targets: [kept('a', 'met'), kept('b', 'lapsed', at(2))],
    targetsMet: ['a', 'b'],
    targetsLapsed: ['a'],
    at: at(2),
    expect: [
      'targets b lapsed@2026-03-01T14:00:00.000Z (targets-lapsed)',
      'targets a held@2026-03-01T14:00:00.000Z (targets-held-again)',
    ],
  },
  // A target met for the first time is not a lapse ending, even if kept.
  {
    what: 'a kept target first met',
    targets: [kept('profitable', 'met')],
    expect: ['targets met profitable (targets-met)'],
  },
];

describe('planAlerts', () => {
  it.each(cases)('$what', (c) => {
    expect(planAlerts(inputOf(c)).map(line)).toEqual(c.expect);
  });

  it('keeps the keys notificationsFor gives, once the opened episode has its id', () => {
    const plan = planAlerts(
      inputOf({ what: '', now: trigger(firing(), 'for-elapsed'), expect: [] }),
    );
    const send = plan.find((a) => a.do === 'enqueue');
    expect(send?.do).toBe('enqueue');
    if (send?.do !== 'enqueue') return;
    const id = episodeIdOf(send.delivery.episode!, new Map([['t', 42]]));
    expect(keyText(send.delivery.key, id)).toBe('alert:42:fired:slack:C1');
    expect(() => episodeIdOf({ openedFor: 't' }, new Map())).toThrow(/before opening it/);
  });

  it('opens the episode with what the trigger was when it fired', () => {
    const now = { ...trigger(firing(at(1)), 'for-elapsed'), message: 'Scale the DB' };
    now.memory = { ...now.memory, activeSince: T0 };
    const [open] = planAlerts(inputOf({ what: '', now, at: at(1), expect: [] }));
    expect(open).toEqual({
      do: 'open-episode',
      trigger: 't',
      reason: 'started-firing',
      episode: {
        roadmapId: 'r',
        triggerId: 't',
        kind: 'alert',
        severity: 'warning',
        condition: 'x > 1',
        message: 'Scale the DB',
        pendingSince: T0,
        firedAt: at(1),
        details: { comparisons: [] },
      },
    });
  });

  it('edits the first posts to show the resolution, without buttons', () => {
    const plan = planAlerts(
      inputOf({
        what: '',
        memory: { t: stored(firing(), 7) },
        episodes: [episode({ acknowledgedBy: 'alice', acknowledgedAt: at(1) })],
        firstPosts: { 7: posts },
        now: trigger(resolved(at(2)), 'cleared'),
        at: at(2),
        expect: [],
      }),
    );
    const messages = plan.flatMap((a) => (a.do === 'enqueue' ? [a.delivery.message] : []));
    expect(messages.map((m) => [m.title, m.footer, m.actions])).toEqual([
      [
        'R: t 🔥 firing',
        'Resolved 2026-03-01 14:00 · Acknowledged by alice at 2026-03-01 13:00',
        undefined,
      ],
      [
        'R: t 🔥 firing',
        'Resolved 2026-03-01 14:00 · Acknowledged by alice at 2026-03-01 13:00',
        undefined,
      ],
      [
        'R: t ✔️ resolved',
        'Resolved 2026-03-01 14:00 · Acknowledged by alice at 2026-03-01 13:00',
        undefined,
      ],
    ]);
  });

  it('builds the edits of a stage left from what was stored of the episode', () => {
    const plan = planAlerts(
      inputOf({
        what: '',
        memory: { t: stored(firing(), 7) },
        episodes: [episode({ kind: 'upgrade', message: 'Plan the move' })],
        firstPosts: { 7: posts.slice(0, 1) },
        at: at(2),
        expect: [],
      }),
    );
    const edit = plan.find((a) => a.do === 'enqueue');
    expect(edit?.do === 'enqueue' && edit.delivery.message).toEqual({
      title: 'R: t 🔥 firing',
      subtitle: 'The upgrade trigger x > 1 holds.',
      tone: 'alert',
      sections: [
        { title: 'x > 1', lines: [{ icon: 'info', text: 'firing since 2026-03-01 12:00' }] },
      ],
      fallback: 'R: t firing',
      footer: 'Resolved 2026-03-01 14:00',
    });
  });
});

describe('the announcement of a to-do that became due', () => {
  it('says what to do, the condition that made it due with its values, the stage, and how to tick it', () => {
    const plan = planAlerts(
      inputOf({
        what: '',
        todos: [
          {
            ...becameDue('read-replica', T0),
            text: 'Add a read replica',
            by: 'month 3',
            deadline: new Date('2026-04-01T00:00:00Z'),
            // The comparison as the evaluator reports it: 1,600 users against 1,500.
            comparisons: [
              {
                metric: 'users',
                op: '>=',
                threshold: 1500,
                value: 1600,
                state: 'met',
                progress: 1600 / 1500,
                text: 'users >= 1500',
              },
            ],
          },
        ],
        expect: [],
      }),
    );
    const send = plan.find((a) => a.do === 'enqueue');
    expect(send?.do === 'enqueue' && send.delivery.message).toEqual({
      title: 'To-do due: Add a read replica',
      subtitle: 'R · Stage 1: the to-do read-replica is due because users >= 1500 holds.',
      tone: 'info',
      sections: [
        {
          title: 'users >= 1500',
          lines: [
            { icon: 'met', text: 'users 1,600 >= 1,500', progress: 1600 / 1500 },
            { icon: 'info', text: 'due since 2026-03-01 12:00' },
            { icon: 'info', text: 'to be done by month 3 (2026-03-31)' },
            { icon: 'open', text: 'When it is done, tick it: check read-replica --roadmap r' },
          ],
        },
      ],
      fallback: 'R: to-do due — Add a read replica (tick it with: check read-replica)',
      actions: [
        {
          id: 'check',
          label: 'Mark done',
          command: 'check read-replica --roadmap r',
          style: 'primary',
        },
      ],
    });
  });
});

describe('episodeMessage', () => {
  const report = {
    roadmap,
    metrics: [],
    next: { id: 's2', name: 'Stage 2' },
    triggers: [{ ...trigger(firing(), 'still-firing'), kind: 'upgrade' as const }],
  };

  it('shows the trigger as evaluated now, and who settled the episode', () => {
    const message = episodeMessage(
      report,
      episode({ kind: 'upgrade', snoozedBy: 'bob', snoozedUntil: at(24) }),
    );
    expect(message.footer).toBe('Snoozed by bob until 2026-03-02 12:00');
    expect(message.actions?.map((a) => a.id)).toEqual(['ack', 'snooze-1d', 'snooze-1w', 'advance']);
  });

  it('falls back to what was stored when the trigger is not evaluated any more', () => {
    const message = episodeMessage(
      { ...report, triggers: [] },
      episode({ triggerId: 'gone', acknowledgedBy: 'alice' }),
    );
    expect([message.title, message.subtitle, message.footer]).toEqual([
      'R: gone 🔥 firing',
      'The warning alert x > 1 holds.',
      'Acknowledged by alice',
    ]);
  });
});
