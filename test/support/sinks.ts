import type { Sink } from '../../src/app/sink.js';
import { DeliveryError } from '../../src/app/sink.js';
import type { Message } from '../../src/core/messages/model.js';

/** A sink that records what it was asked to send and can be told to fail the next calls. */
export class RecordingSink implements Sink {
  readonly posts: { channel: string; message: Message; ref: string }[] = [];
  readonly updates: { channel: string; ref: string; message: Message }[] = [];
  private readonly failures: DeliveryError[] = [];
  private next = 1;

  constructor(readonly platform: Sink['platform'] = 'console') {}

  /** The next calls fail with these, in order. */
  failNext(...errors: DeliveryError[]): void {
    this.failures.push(...errors);
  }

  async post(channel: string, message: Message): Promise<{ ref: string }> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    const ref = `m${this.next++}`;
    this.posts.push({ channel, message, ref });
    return { ref };
  }

  async update(channel: string, ref: string, message: Message): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.updates.push({ channel, ref, message });
  }

  titles(): string[] {
    return this.posts.map((p) => `${p.channel}: ${p.message.title}`);
  }
}

export const rateLimited = (ms = 1000) => new DeliveryError('rate_limited', 'ratelimited', ms);
export const serverError = () => new DeliveryError('server', 'HTTP 500');
export const clientError = () => new DeliveryError('client', 'channel_not_found');
