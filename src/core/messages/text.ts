import { percent, progressBar, sparkline } from './graphics.js';
import type { Icon, Message } from './model.js';

export const ICON_TEXT: Record<Icon, string> = {
  firing: '🔥',
  pending: '⏳',
  approaching: '⚠️',
  ok: '✅',
  resolved: '✔️',
  unknown: '❔',
  passed: '☑️',
  open: '⬜',
  met: '🎯',
  missed: '❌',
  info: 'ℹ️',
  error: '⛔',
};

/** Plain text for terminals and the console sink. */
export function renderText(message: Message): string {
  const out: string[] = [message.title];
  if (message.subtitle) out.push(message.subtitle);
  for (const section of message.sections) {
    out.push('');
    if (section.title) out.push(section.title);
    for (const line of section.lines) {
      const parts = [line.icon ? ICON_TEXT[line.icon] : '•', line.text];
      if (line.progress !== undefined)
        parts.push(`${progressBar(line.progress)} ${percent(line.progress)}`);
      if (line.series && line.series.length > 1) parts.push(sparkline(line.series));
      out.push(`  ${parts.join('  ')}`);
      if (line.detail) out.push(`      ${line.detail}`);
    }
    if (section.omitted) out.push(`  … and ${section.omitted} more`);
  }
  // A terminal has no buttons; most make an address on a line of its own clickable.
  if (message.links && message.links.length > 0) {
    out.push('');
    for (const link of message.links) out.push(`${link.label}: ${link.url}`);
  }
  return out.join('\n');
}
