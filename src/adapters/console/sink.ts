import type { Sink } from '../../app/sink.js';
import type { Message } from '../../core/messages/model.js';
import { renderText } from '../../core/messages/text.js';

/**
 * Where digests and alerts go when no chat platform is configured: standard output, as text.
 * Same interface the Slack and Discord senders implement.
 */
export class ConsoleSink implements Sink {
  readonly platform = 'console' as const;
  private next = 1;
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  async post(channel: string, message: Message): Promise<{ ref: string }> {
    const ref = String(this.next++);
    this.out.write(`\n── #${channel} (message ${ref}) ──\n${renderText(message)}\n`);
    return { ref };
  }

  async update(channel: string, ref: string, message: Message): Promise<void> {
    this.out.write(`\n── #${channel} (message ${ref}, edited) ──\n${renderText(message)}\n`);
  }
}
