import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LiveHub } from '../../src/adapters/web/live.js';
import { CommandError } from '../../src/app/errors.js';

/** A response that records what was streamed to it. */
class Stream extends EventEmitter {
  text = '';
  ended = false;
  status?: number;
  headers?: Record<string, string>;
  writeHead(status: number, headers: Record<string, string>) {
    this.status = status;
    this.headers = headers;
    return this;
  }
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
  end() {
    if (this.ended) return;
    this.ended = true;
    this.emit('close');
  }
  events(): string[] {
    return [...this.text.matchAll(/event: (\w+)\ndata: ([^\n]*)\n\n/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
  }
}

const asResponse = (s: Stream) => s as unknown as ServerResponse;
let now = new Date('2026-03-02T12:00:00Z');
let versions: Record<string, string | Error>;
let checks: string[];

const hub = () =>
  new LiveHub({
    version: async (id) => {
      checks.push(id);
      const v = versions[id];
      if (v instanceof Error) throw v;
      return v ?? 'v0';
    },
    intervalMs: 5000,
    maxViewers: 3,
    clock: () => now,
    logger: { warn: () => {} },
  });

beforeEach(() => {
  vi.useFakeTimers();
  now = new Date('2026-03-02T12:00:00Z');
  versions = { a: 'v1', b: 'w1' };
  checks = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('live updates (server-sent events)', () => {
  it('tells each viewer the version at once, then only when it changes', async () => {
    const live = hub();
    const one = new Stream();
    live.open('a', asResponse(one));
    expect(one.status).toBe(200);
    expect(one.headers?.['content-type']).toBe('text/event-stream; charset=utf-8');
    await vi.advanceTimersByTimeAsync(0);
    expect(one.events()).toEqual(['version v1']);
    // A second viewer of the same roadmap gets the known version without another evaluation.
    const two = new Stream();
    live.open('a', asResponse(two));
    expect(two.events()).toEqual(['version v1']);
    expect(checks).toEqual(['a']);

    await vi.advanceTimersByTimeAsync(5000);
    expect(one.events()).toEqual(['version v1']);
    expect(one.text).toContain(': still');
    versions.a = 'v2';
    await vi.advanceTimersByTimeAsync(5000);
    expect(one.events()).toEqual(['version v1', 'version v2']);
    expect(two.events()).toEqual(['version v1', 'version v2']);
    // One evaluation per tick for all the roadmap's viewers.
    expect(checks).toEqual(['a', 'a', 'a']);
    live.close();
  });

  it('stops evaluating a roadmap nobody looks at, and refuses streams over the bound', async () => {
    const live = hub();
    const streams = [new Stream(), new Stream(), new Stream()];
    live.open('a', asResponse(streams[0] as Stream));
    live.open('b', asResponse(streams[1] as Stream));
    live.open('b', asResponse(streams[2] as Stream));
    expect(live.hasRoom()).toBe(false);
    streams[0]?.end();
    expect(live.hasRoom()).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    checks = [];
    await vi.advanceTimersByTimeAsync(15_000);
    expect(checks).toEqual(['b', 'b', 'b']);
    live.close();
    expect(streams.every((s) => s.ended)).toBe(true);
    expect(live.hasRoom()).toBe(false);
  });

  it('ends a signed link’s stream when the link expires, and says so', async () => {
    const live = hub();
    const stream = new Stream();
    live.open('a', asResponse(stream), new Date(now.getTime() + 7000));
    await vi.advanceTimersByTimeAsync(5000);
    expect(stream.ended).toBe(false);
    now = new Date(now.getTime() + 10_000);
    await vi.advanceTimersByTimeAsync(5000);
    expect(stream.events()).toEqual(['version v1', 'expired this link has expired']);
    expect(stream.ended).toBe(true);
    live.close();
  });

  it('a roadmap that is no longer loaded ends its streams; another failure keeps them', async () => {
    const live = hub();
    const stream = new Stream();
    versions.a = new Error('database down');
    live.open('a', asResponse(stream));
    await vi.advanceTimersByTimeAsync(5000);
    expect(stream.ended).toBe(false);
    expect(stream.events()).toEqual([]);
    versions.a = new CommandError('not_found', 'no roadmap "a" is loaded');
    await vi.advanceTimersByTimeAsync(5000);
    expect(stream.events()).toEqual(['gone this roadmap is no longer loaded']);
    expect(stream.ended).toBe(true);
    live.close();
  });
});
