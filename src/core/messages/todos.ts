import type { TodoReport } from '../evaluate/todos.js';
import { formatDate, formatDateTime } from '../time.js';
import type { Unit } from '../units.js';
import { comparisonLine } from './compose.js';
import type { Line, Message } from './model.js';

/** What the announcement of a to-do that became due needs. */
export interface TodoDueContext {
  roadmap: { id: string; name: string; timezone: string };
  stage: { id: string; name: string };
  todo: Pick<
    TodoReport,
    'id' | 'text' | 'dueAt' | 'by' | 'deadline' | 'condition' | 'comparisons' | 'missing'
  >;
  units: Map<string, Unit>;
}

/**
 * The announcement of a to-do whose `when` first held (sent once per subscribed channel): the
 * to-do, the condition that made it due with its values, the stage, and how to tick it. Pure.
 */
export function todoDueMessage(ctx: TodoDueContext): Message {
  const { roadmap, stage, todo } = ctx;
  const zone = roadmap.timezone;
  const tick = `check ${todo.id} --roadmap ${roadmap.id}`;
  const lines: Line[] = todo.comparisons.map((c) => comparisonLine(c, ctx.units));
  if (todo.missing.length > 0)
    lines.push({ icon: 'unknown', text: `no fresh data for ${todo.missing.join(', ')}` });
  if (todo.dueAt)
    lines.push({ icon: 'info', text: `due since ${formatDateTime(todo.dueAt, zone)}` });
  if (todo.by && todo.deadline)
    lines.push({
      icon: todo.dueAt && todo.dueAt >= todo.deadline ? 'missed' : 'info',
      // The deadline is the instant the period ends: its last day is the day before.
      text: `to be done by ${todo.by} (${formatDate(new Date(todo.deadline.getTime() - 1), zone)})`,
    });
  lines.push({ icon: 'open', text: `When it is done, tick it: ${tick}` });
  const why = todo.condition ? ` because ${todo.condition} holds` : '';
  return {
    title: `To-do due: ${todo.text}`,
    subtitle: `${roadmap.name} · ${stage.name}: the to-do ${todo.id} is due${why}.`,
    tone: 'info',
    sections: [{ ...(todo.condition ? { title: todo.condition } : {}), lines }],
    fallback: `${roadmap.name}: to-do due — ${todo.text} (tick it with: check ${todo.id})`,
    actions: [{ id: 'check', label: 'Mark done', command: tick, style: 'primary' }],
  };
}
