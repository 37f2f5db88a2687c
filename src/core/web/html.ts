/**
 * HTML that escapes by default: `html\`<p>${text}</p>\`` escapes every interpolated value unless
 * it is itself `Html` (made by this tag), so a roadmap name, a gate's text or a chat user's id
 * can never become markup. Attributes must be written in double quotes; `"` and `'` are escaped
 * as well as `& < >`, so a value cannot leave its attribute either. Pure.
 */

/** Markup that is already safe: made by `html`, or a constant passed to `trusted`. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text as it must be written inside an element or a double-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c] as string);
}

/** What may be interpolated: text (escaped), numbers, Html, lists of them; nothing for null/false. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false || value === true) return '';
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] as string;
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] as string);
  });
  return new Html(out);
}

/** A constant of the program's own (never data) used as markup. */
export const trusted = (markup: string): Html => new Html(markup);
