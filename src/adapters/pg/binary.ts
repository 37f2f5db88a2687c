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

/** A float8[] parameter. */
export function float8Array(values: readonly number[]): Buffer {
  const buffer = arrayHeader(OID.float8, values.length, values.length * 12);
  let offset = 20;
  for (const value of values) {
    buffer.writeInt32BE(8, offset);
    buffer.writeDoubleBE(value, offset + 4);
    offset += 12;
  }
  return buffer;
}

/** A timestamptz[] parameter. */
export function timestamptzArray(times: readonly Date[]): Buffer {
  const buffer = arrayHeader(OID.timestamptz, times.length, times.length * 12);
  let offset = 20;
  for (const at of times) {
    buffer.writeInt32BE(8, offset);
    writeTimestamp(buffer, offset + 4, at);
    offset += 12;
  }
  return buffer;
}

/** UTF-8 bytes of strings that repeat (roadmap ids, metric names, sources), each encoded once. */
export class Utf8Cache {
  private readonly bytes = new Map<string, Buffer>();
  get(text: string): Buffer {
    let b = this.bytes.get(text);
    if (b === undefined) {
      b = Buffer.from(text, 'utf8');
      // Bounded: a stream of distinct strings must not grow it for ever.
      if (this.bytes.size < 10_000) this.bytes.set(text, b);
    }
    return b;
  }
}

/** A text[] parameter. */
export function textArray(values: readonly string[], cache = new Utf8Cache()): Buffer {
  const encoded = values.map((v) => cache.get(v));
  let body = 0;
  for (const b of encoded) body += 4 + b.length;
  const buffer = arrayHeader(OID.text, values.length, body);
  let offset = 20;
  for (const b of encoded) {
    buffer.writeInt32BE(b.length, offset);
    b.copy(buffer, offset + 4);
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
    let o = b.writeInt16BE(this.fields, this.offset);
    o = b.writeInt32BE(roadmap.length, o);
    o += roadmap.copy(b, o);
    o = b.writeInt32BE(metric.length, o);
    o += metric.copy(b, o);
    o = b.writeInt32BE(8, o);
    writeTimestamp(b, o, at);
    o += 8;
    o = b.writeInt32BE(source.length, o);
    o += source.copy(b, o);
    o = b.writeInt32BE(8, o);
    o = b.writeDoubleBE(value, o);
    if (this.recordedAt) {
      o = b.writeInt32BE(8, o);
      o += this.recordedAt.copy(b, o);
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
