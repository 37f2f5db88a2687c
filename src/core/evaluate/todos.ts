/**
 * To-dos (docs/ROADMAP_FORMAT.md, "Stages: … to-dos"): the current stage's actions with an `id`,
 * each `open`, `due` (latched once its `when` first holds), `overdue` (past its `by`) or `done`
 * (ticked). Pure: the ticks, the latches and `now` are passed in; the report says what to latch.
 */
import type { ComparisonResult, ConditionInputs } from '../condition/evaluate.js';
import { evaluateCondition } from '../condition/evaluate.js';
import type { Stage } from '../roadmap/model.js';

export type TodoState = 'open' | 'due' | 'overdue' | 'done';

export interface TodoReport {
  id: string;
  text: string;
  state: TodoState;
  /** When it became due: the remembered latch, or `now` when it latches in this evaluation. */
  dueAt?: Date;
  /**
   * It latched in this evaluation: the shell remembers `dueAt` (RoadmapState.todosDue) and
   * announces it, once.
   */
  newlyDue: boolean;
  /** `by` as written (`month 9`) and the instant it passes (the end of that period). */
  by?: string;
  deadline?: Date;
  /** Who ticked it and when, while it is ticked. */
  doneBy?: string;
  doneAt?: Date;
  /** The `when` condition, as written, with its comparisons now. */
  condition?: string;
  comparisons: ComparisonResult[];
  missing: string[];
}

/** The current stage's to-do ticks by id (`check` / `uncheck`: the newest wins). */
export type TodoChecks = ReadonlyMap<string, { done: boolean; actor: string; at: Date }>;

/**
 * The current stage's to-dos, in file order. A ticked to-do is `done` (and never latches);
 * else `overdue` once its `by` period has ended; else `due` once latched; else `open`. Unknown
 * data never latches.
 */
export function evaluateTodos(
  stage: Stage,
  inputs: ConditionInputs,
  approaching: number,
  state: { todoChecks?: TodoChecks; todosDue?: ReadonlyMap<string, Date> },
  now: Date,
): TodoReport[] {
  return stage.todos.map((todo) => {
    const tick = state.todoChecks?.get(todo.id);
    const done = tick?.done === true;
    const result = todo.when ? evaluateCondition(todo.when, inputs, approaching) : undefined;
    const latched = state.todosDue?.get(todo.id);
    const dueAt = latched ?? (!done && result?.holds === true ? now : undefined);
    const overdue = todo.by !== undefined && now >= todo.by.at;
    const todoState: TodoState = done ? 'done' : overdue ? 'overdue' : dueAt ? 'due' : 'open';
    return {
      id: todo.id,
      text: todo.text,
      state: todoState,
      ...(dueAt ? { dueAt } : {}),
      newlyDue: latched === undefined && dueAt !== undefined,
      ...(todo.by ? { by: todo.by.text, deadline: todo.by.at } : {}),
      ...(done && tick ? { doneBy: tick.actor, doneAt: tick.at } : {}),
      ...(todo.when ? { condition: todo.when.text } : {}),
      comparisons: result?.comparisons ?? [],
      missing: result?.missing ?? [],
    };
  });
}
