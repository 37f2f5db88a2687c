import { z } from 'zod';
import { CollectorError } from './sql.js';

/** The Prometheus HTTP API's instant-query answer, as far as we read it. */
const Answer = z.object({
  status: z.enum(['success', 'error']),
  error: z.string().optional(),
  data: z
    .object({
      resultType: z.string(),
      result: z.unknown(),
    })
    .optional(),
});
const Sample = z.tuple([z.number(), z.string()]);
const Vector = z.array(z.object({ metric: z.record(z.string(), z.string()), value: Sample }));

/**
 * Runs an instant query (`GET /api/v1/query`) and returns its single value: a scalar, or a
 * vector of exactly one series.
 */
export async function runPrometheusCollector(
  baseUrl: string,
  query: string,
  at: Date,
  timeoutMs: number,
): Promise<number> {
  const url = new URL('api/v1/query', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  url.searchParams.set('query', query);
  url.searchParams.set('time', String(at.getTime() / 1000));
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    // fetch's messages can quote the URL, credentials included: never let those reach status or logs.
    const secret = new URL(url);
    const reason = (
      (error as Error & { cause?: { code?: string } }).cause?.code ?? (error as Error).message
    )
      .split(secret.href)
      .join(secret.origin);
    throw new CollectorError(`Prometheus unreachable at ${url.origin}: ${reason}`);
  }
  const body = Answer.safeParse(await response.json().catch(() => undefined));
  if (!body.success)
    throw new CollectorError(`not a Prometheus API answer (HTTP ${response.status})`);
  if (body.data.status === 'error' || !body.data.data)
    throw new CollectorError(
      `Prometheus refused the query: ${body.data.error ?? `HTTP ${response.status}`}`,
    );
  const { resultType, result } = body.data.data;
  let raw: string;
  if (resultType === 'scalar') {
    const sample = Sample.safeParse(result);
    if (!sample.success) throw new CollectorError('malformed scalar result');
    raw = sample.data[1];
  } else if (resultType === 'vector') {
    const vector = Vector.safeParse(result);
    if (!vector.success) throw new CollectorError('malformed vector result');
    if (vector.data.length !== 1)
      throw new CollectorError(
        `expected a scalar or a single series, got ${vector.data.length} series`,
      );
    raw = (vector.data[0] as z.infer<typeof Vector>[number]).value[1];
  } else {
    throw new CollectorError(`expected a scalar or a single series, got a ${resultType}`);
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new CollectorError(`expected a finite number, got ${raw}`);
  return value;
}
