import { readFileSync } from 'node:fs';
import path from 'node:path';

const FORMAT_PAGE = path.resolve(import.meta.dirname, '../../docs/ROADMAP_FORMAT.md');

export const V1_EXAMPLE = '## Complete example (must load as written)';
export const V2_EXAMPLE = '## Complete example, version 2 (must load as written)';

/** The ```yaml block right under `heading` of the format page: one of its complete examples. */
export function formatPageExample(heading = V1_EXAMPLE): string {
  const page = readFileSync(FORMAT_PAGE, 'utf8');
  const at = page.indexOf(`\n${heading}\n`);
  if (at === -1) throw new Error(`no "${heading}" in the format page`);
  const block = /```yaml\n([\s\S]*?)```/.exec(page.slice(at));
  if (!block) throw new Error(`no yaml block under "${heading}"`);
  return block[1] as string;
}
