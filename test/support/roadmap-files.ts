import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A small valid roadmap; `name` tells versions and files apart. Written here rather than
 * copied from roadmaps/ so folder tests do not depend on the shipped files' contents.
 * The `id:` key is on line 2.
 */
export function roadmapText(id: string, name: string): string {
  return [
    `# ${name}`,
    `id: ${id}`,
    `name: ${name}`,
    'metrics:',
    '  users: { unit: count }',
    'stages:',
    '  - id: only',
    '    name: Only stage',
    '',
  ].join('\n');
}

/** Creates the folder `at` (and its parents) holding the given files (name -> text). */
export function folderAt(at: string, files: Record<string, string>): string {
  mkdirSync(at, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(at, name), text);
  return at;
}
