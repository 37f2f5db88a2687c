/**
 * Live updates of open pages, over server-sent events. While at least one browser has a
 * roadmap's page open, that roadmap is evaluated every WEB_LIVE_INTERVAL (once for all its
 * viewers, whichever replica or process wrote the data), and each viewer is told the version of
 * what the page shows when it changes; the page then fetches itself again (static/live.js).
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isCodedError } from '../../app/errors.js';

interface Viewer {
  res: ServerResponse;
  /** A signed link's expiry: the stream ends then (public pages: never). */
  expiresAt?: Date;
}

interface Room {
  viewers: Set<Viewer>;
  timer: NodeJS.Timeout;
  version?: string;
  checking: boolean;
}

export interface LiveOptions {
  /** What the roadmap's page shows now, as a version (app/web.ts liveVersion). */
  version: (roadmapId: string) => Promise<string>;
  intervalMs: number;
  /** Streams open at once in this process; more are refused with 503. */
  maxViewers: number;
  clock: () => Date;
  logger: Pick<Logger, 'warn'>;
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-accel-buffering': 'no',
  'x-content-type-options': 'nosniff',
  connection: 'keep-alive',
};

export class LiveHub {
  private readonly rooms = new Map<string, Room>();
  private viewers = 0;
  private closed = false;

  constructor(private readonly opts: LiveOptions) {}

  /** Whether another stream may open. */
  hasRoom(): boolean {
    return !this.closed && this.viewers < this.opts.maxViewers;
  }

  /** Streams `res` (headers not yet sent) the roadmap's versions until it closes or expires. */
  open(roadmapId: string, res: ServerResponse, expiresAt?: Date): void {
    res.writeHead(200, SSE_HEADERS);
    // A dropped connection is retried by the browser after this long.
    res.write('retry: 5000\n\n');
    const viewer: Viewer = { res, ...(expiresAt ? { expiresAt } : {}) };
    let room = this.rooms.get(roadmapId);
    if (!room) {
      const timer = setInterval(() => void this.check(roadmapId), this.opts.intervalMs);
      timer.unref();
      room = { viewers: new Set(), timer, checking: false };
      this.rooms.set(roadmapId, room);
    }
    room.viewers.add(viewer);
    this.viewers++;
    res.on('close', () => this.leave(roadmapId, viewer));
    // The page compares this with its own version: a change between its render and now shows.
    if (room.version !== undefined) send(res, 'version', room.version);
    else void this.check(roadmapId);
  }

  /** Ends every stream (the server is closing). */
  close(): void {
    this.closed = true;
    for (const room of this.rooms.values()) {
      clearInterval(room.timer);
      for (const viewer of room.viewers) viewer.res.end();
    }
    this.rooms.clear();
  }

  private leave(roadmapId: string, viewer: Viewer): void {
    const room = this.rooms.get(roadmapId);
    if (!room?.viewers.delete(viewer)) return;
    this.viewers--;
    if (room.viewers.size === 0) {
      clearInterval(room.timer);
      this.rooms.delete(roadmapId);
    }
  }

  private async check(roadmapId: string): Promise<void> {
    const room = this.rooms.get(roadmapId);
    if (!room || room.checking) return;
    room.checking = true;
    try {
      const now = this.opts.clock();
      for (const viewer of room.viewers)
        if (viewer.expiresAt && now.getTime() >= viewer.expiresAt.getTime()) {
          send(viewer.res, 'expired', 'this link has expired');
          viewer.res.end();
        }
      let version: string;
      try {
        version = await this.opts.version(roadmapId);
      } catch (error) {
        if (isCodedError(error) && error.code === 'not_found') {
          for (const viewer of room.viewers) {
            send(viewer.res, 'gone', 'this roadmap is no longer loaded');
            viewer.res.end();
          }
          return;
        }
        // The next tick tries again; the pages keep what they show.
        this.opts.logger.warn({ err: error, roadmap: roadmapId }, 'web: live update failed');
        return;
      }
      if (version !== room.version) {
        room.version = version;
        for (const viewer of room.viewers) send(viewer.res, 'version', version);
      } else {
        // A comment keeps proxies from closing a quiet stream.
        for (const viewer of room.viewers) viewer.res.write(': still\n\n');
      }
    } finally {
      room.checking = false;
    }
  }
}

/** One event; `data` is a single line (versions and short sentences). */
function send(res: ServerResponse, event: string, data: string): void {
  res.write(`event: ${event}\ndata: ${data.replace(/[\r\n]+/g, ' ')}\n\n`);
}
