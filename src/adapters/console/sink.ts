import type { Message } from '../../core/messages/model.js';
import { renderText } from '../../core/messages/text.js';

/**
 * Where digests and alerts go when no chat platform is configured: standard output, as text.
 * Same interface the Slack and Discord senders implement.
 */
export interface Sink {
  readonly name: string;
  post(channel: string, message: Message): Promise<void>;
}

export class ConsoleSink implements Sink {
  readonly name = 'console';
  constructor(private readonly out: NodeJS.WritableStream = process.stdout) {}

  async post(channel: string, message: Message): Promise<void> {
    this.out.write(`\n── #${channel} ──\n${renderText(message)}\n`);
  }
}
