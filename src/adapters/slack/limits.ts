import { z } from 'zod';

/**
 * Block Kit's limits, as our own schema: Slack publishes no validator, and a payload over a
 * limit is refused whole (`invalid_blocks`, `msg_blocks_too_long`), so the renderer is
 * tested against this and the adapter checks every payload with it before sending.
 * Only the block types the renderer produces are allowed.
 */
export const BLOCK_KIT = {
  headerText: 150,
  sectionText: 3000,
  fields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** Documented for plain_text context elements; we hold mrkdwn ones to it too. */
  contextText: 2000,
  blockId: 255,
  actionsElements: 25,
  actionId: 255,
  buttonText: 75,
  buttonValue: 2000,
  /** A link button's address. */
  buttonUrl: 3000,
} as const;

export interface MessageBudget {
  maxBlocks: number;
  /**
   * Slack refuses a message whose blocks are too long in total (about 13k characters, never
   * published exactly). Measured as the length of the blocks' JSON, which over-counts, so a
   * payload that passes here is safe. Undefined: no total limit (the Home tab).
   */
  maxChars?: number;
}

export const MESSAGE_LIMITS: MessageBudget = { maxBlocks: 50, maxChars: 13_000 };
export const HOME_LIMITS: MessageBudget = { maxBlocks: 100 };

/** What a block costs against `maxChars`. */
export function charsOf(blocks: readonly unknown[]): number {
  return JSON.stringify(blocks).length;
}

const blockId = z.string().min(1).max(BLOCK_KIT.blockId).optional();
const textObject = (max: number) =>
  z.object({
    type: z.enum(['plain_text', 'mrkdwn']),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
    verbatim: z.boolean().optional(),
  });
const plainText = (max: number) =>
  z.object({
    type: z.literal('plain_text'),
    text: z.string().min(1).max(max),
    emoji: z.boolean().optional(),
  });

const header = z.object({
  type: z.literal('header'),
  block_id: blockId,
  text: plainText(BLOCK_KIT.headerText),
});
const section = z
  .object({
    type: z.literal('section'),
    block_id: blockId,
    text: textObject(BLOCK_KIT.sectionText).optional(),
    fields: z.array(textObject(BLOCK_KIT.fieldText)).min(1).max(BLOCK_KIT.fields).optional(),
  })
  .refine((s) => s.text !== undefined || s.fields !== undefined, 'a section needs text or fields');
const context = z.object({
  type: z.literal('context'),
  block_id: blockId,
  elements: z.array(textObject(BLOCK_KIT.contextText)).min(1).max(BLOCK_KIT.contextElements),
});
const button = z.object({
  type: z.literal('button'),
  action_id: z.string().min(1).max(BLOCK_KIT.actionId),
  text: plainText(BLOCK_KIT.buttonText),
  value: z.string().min(1).max(BLOCK_KIT.buttonValue).optional(),
  url: z
    .url({ protocol: /^https?$/ })
    .max(BLOCK_KIT.buttonUrl)
    .optional(),
  style: z.enum(['primary', 'danger']).optional(),
});
const actions = z.object({
  type: z.literal('actions'),
  block_id: blockId,
  elements: z.array(button).min(1).max(BLOCK_KIT.actionsElements),
});
const divider = z.object({ type: z.literal('divider'), block_id: blockId });

const block = z.discriminatedUnion('type', [header, section, context, actions, divider]);

/** The schema of a whole message (or Home view) within `budget`. */
export function blocksSchema(budget: MessageBudget) {
  return z
    .array(block)
    .min(1)
    .max(budget.maxBlocks)
    .superRefine((blocks, ctx) => {
      if (budget.maxChars !== undefined && charsOf(blocks) > budget.maxChars) {
        ctx.addIssue({
          code: 'custom',
          message: `blocks total ${charsOf(blocks)} characters, over ${budget.maxChars}`,
        });
      }
      // Slack refuses duplicate ids within one message.
      const ids = blocks.flatMap((b) => (b.block_id ? [b.block_id] : []));
      const actionIds = blocks.flatMap((b) =>
        b.type === 'actions' ? b.elements.map((e) => e.action_id) : [],
      );
      for (const [what, list] of [
        ['block_id', ids],
        ['action_id', actionIds],
      ] as const) {
        const dup = list.find((id, i) => list.indexOf(id) !== i);
        if (dup !== undefined)
          ctx.addIssue({ code: 'custom', message: `duplicate ${what} "${dup}"` });
      }
    });
}

/** Every way `blocks` breaks Block Kit's limits, as `path: problem` lines; empty when valid. */
export function checkBlocks(blocks: unknown, budget: MessageBudget = MESSAGE_LIMITS): string[] {
  const result = blocksSchema(budget).safeParse(blocks);
  if (result.success) return [];
  return result.error.issues.map(
    (i) => `${i.path.length > 0 ? i.path.join('.') : 'blocks'}: ${i.message}`,
  );
}
