/**
 * PostgreSQL's binary wire format for the values points are made of: arrays sent as query
 * parameters (node-postgres sends a Buffer parameter in binary) and rows of a binary COPY.
 * Binary spares both sides the text round trip: the server parses no timestamps or floats
 * (a third of an unnest upsert's CPU with text arrays), and Node formats no ISO strings.
 */

const OID = { text: 25, float8: 701, timestamptz: 1184 } as const;

/** Milliseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z). */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

/**
 * Writes a time as timestamptz's binary value, int64 microseconds since 2000, at `offset`.
 * Exact for any Date (|ms| < 2^53): the microseconds themselves can pass 2^53, so the product
 * is formed from the millisecond count's two 32-bit halves instead of as one float.
 */
function writeTimestamp(buffer: Buffer, offset: number, at: Date): void {
  const ms = at.getTime() - PG_EPOCH_MS;
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(at)}`);
  const high = Math.floor(ms / TWO_32);
  const low = (ms - high * TWO_32) * 1000; // < 2^42: exact
  const carry = Math.floor(low / TWO_32);
  buffer.writeInt32BE(high * 1000 + carry, offset);
  buffer.writeUInt32BE(low - carry * TWO_32, offset + 4);
}

/** A one-dimensional array without NULLs: ndim, has-nulls flag, element type, length, lower bound. */
function arrayHeader(oid: number, length: number, bodyBytes: number): Buffer {
  const buffer = Buffer.allocUnsafe(20 + bodyBytes);
  buffer.writeInt32BE(1, 0);
  buffer.writeInt32BE(0, 4);
  buffer.writeInt32BE(oid, 8);
  buffer.writeInt32BE(length, 12);
  buffer.writeInt32BE(1, 16);
  return buffer;
}

/*
 * The array parameters take the items and a field of each (no intermediate array of the
 * field's values: a batch's arrays are built a thousand items at a time, per request).
 */

/** A float8[] parameter of `value(item)` for each item. */
export function float8Array<T>(items: readonly T[], value: (item: T) => number): Buffer {
  const buffer = arrayHeader(OID.float8, items.length, items.length * 12);
  let offset = 20;
  for (const item of items) {
    buffer.writeInt32BE(8, offset);
    buffer.writeDoubleBE(value(item), offset + 4);
    offset += 12;
  }
  return buffer;
}

/** A timestamptz[] parameter of `at(item)` for each item. */
export function timestamptzArray<T>(items: readonly T[], at: (item: T) => Date): Buffer {
  const buffer = arrayHeader(OID.timestamptz, items.length, items.length * 12);
  let offset = 20;
  for (const item of items) {
    buffer.writeInt32BE(8, offset);
    writeTimestamp(buffer, offset + 4, at(item));
    offset += 12;
  }
  return buffer;
}

/** UTF-8 bytes of strings that repeat (roadmap ids, metric names, sources), each encoded once. */
export class Utf8Cache {
  private readonly bytes = new Map<string, Buffer>();
  /** The last string asked for: points in key order repeat their roadmap, metric and source. */
  private lastText: string | undefined;
  private lastBytes: Buffer = Buffer.alloc(0);
  get(text: string): Buffer {
    if (text === this.lastText) return this.lastBytes;
    let b = this.bytes.get(text);
    if (b === undefined) {
      b = Buffer.from(text, 'utf8');
      // Bounded: a stream of distinct strings must not grow it for ever.
      if (this.bytes.size < 10_000) this.bytes.set(text, b);
    }
    this.lastText = text;
    this.lastBytes = b;
    return b;
  }
}

/** A text[] parameter of `text(item)` for each item. */
export function textArray<T>(
  items: readonly T[],
  text: (item: T) => string,
  cache = new Utf8Cache(),
): Buffer {
  const encoded = new Array<Buffer>(items.length);
  let body = 0;
  for (let i = 0; i < items.length; i++) {
    const b = cache.get(text(items[i] as T));
    encoded[i] = b;
    body += 4 + b.length;
  }
  const buffer = arrayHeader(OID.text, items.length, body);
  let offset = 20;
  for (const b of encoded) {
    buffer.writeInt32BE(b.length, offset);
    // TypedArray#set: Buffer#copy crosses into C++ for every few bytes.
    buffer.set(b, offset + 4);
    offset += 4 + b.length;
  }
  return buffer;
}

/** What starts a binary COPY: its signature, no flags, no header extension. */
export const COPY_BINARY_HEADER = Buffer.from([
  0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0,
]);
/** What ends one: a field count of -1. */
export const COPY_BINARY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * Rows of a binary COPY of points (roadmap_id, metric, at, source, value[, recorded_at]),
 * appended into chunks of about `chunkBytes`: one stream write per row would be far slower.
 * Text fields come as bytes (see Utf8Cache); `recordedAt`, when given, is the same in every row.
 */
export class PointCopyRows {
  private buffer: Buffer;
  private offset = 0;
  private readonly fields: number;
  private readonly recordedAt: Buffer | undefined;
  constructor(
    recordedAt?: Date,
    private readonly chunkBytes = 1 << 16,
  ) {
    this.buffer = Buffer.allocUnsafe(chunkBytes);
    this.recordedAt = recordedAt ? Buffer.allocUnsafe(8) : undefined;
    if (recordedAt && this.recordedAt) writeTimestamp(this.recordedAt, 0, recordedAt);
    this.fields = recordedAt ? 6 : 5;
  }

  /** Appends one row; returns a full chunk to send when there is one. */
  add(
    roadmap: Buffer,
    metric: Buffer,
    at: Date,
    source: Buffer,
    value: number,
  ): Buffer | undefined {
    const size =
      2 + 5 * 4 + roadmap.length + metric.length + source.length + 16 + (this.recordedAt ? 12 : 0);
    let full: Buffer | undefined;
    if (this.offset + size > this.buffer.length) {
      full = this.take();
      if (size > this.buffer.length) this.buffer = Buffer.allocUnsafe(size);
    }
    const b = this.buffer;
    // TypedArray#set rather than Buffer#copy, which crosses into C++ for every few bytes.
    let o = b.writeInt16BE(this.fields, this.offset);
    o = b.writeInt32BE(roadmap.length, o);
    b.set(roadmap, o);
    o = b.writeInt32BE(metric.length, o + roadmap.length);
    b.set(metric, o);
    o = b.writeInt32BE(8, o + metric.length);
    writeTimestamp(b, o, at);
    o += 8;
    o = b.writeInt32BE(source.length, o);
    b.set(source, o);
    o = b.writeInt32BE(8, o + source.length);
    o = b.writeDoubleBE(value, o);
    if (this.recordedAt) {
      o = b.writeInt32BE(8, o);
      b.set(this.recordedAt, o);
      o += 8;
    }
    this.offset = o;
    return full;
  }

  /** The rows appended since the last chunk (empty when none), and a fresh buffer. */
  take(): Buffer {
    const out = this.buffer.subarray(0, this.offset);
    this.buffer = Buffer.allocUnsafe(this.chunkBytes);
    this.offset = 0;
    return out;
  }
}
