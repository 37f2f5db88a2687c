import { statusJson } from '../core/messages/status-json.js';
import type { AppDeps } from './context.js';
import { CommandError, type FieldProblem } from './errors.js';
import { evaluateWithForecast } from './evaluate.js';
import { parsePointsCsv } from './import-csv.js';
import { validateBatch, type PointError, type RawPoint } from './ingest.js';
import type { PointInput } from './ports/points.js';
import { tokenAllows, type ApiToken } from './ports/tokens.js';

/**
 * What the push API asks of the app: who a bearer token is, writing pushed points, and the
 * status document. Failures are `CommandError`s whose code the HTTP adapter maps to a status.
 */

/** Refused points listed in a 400 answer; the count of all of them is in its message. */
const MAX_LISTED = 100;

const REVOKED = 'unknown or revoked token';

/**
 * The token a request's Authorization header names, with this request counted in the token's
 * minute (shared by every replica).
 */
export async function authenticate(
  deps: AppDeps,
  authorization: string | undefined,
  limitPerMinute: number,
): Promise<ApiToken> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  const now = deps.clock();
  const known = match
    ? await deps.store.tokens.authenticateAndCount(match[1] as string, now)
    : undefined;
  if (!known)
    throw new CommandError(
      'unauthorized',
      match ? REVOKED : 'send "Authorization: Bearer <token>" (roadmap token create)',
    );
  const { token, count, windowEnd } = known;
  if (count > limitPerMinute)
    throw new CommandError(
      'rate_limited',
      `at most ${limitPerMinute} requests a minute per token`,
      [],
      { retryAfterSeconds: Math.max(1, Math.ceil((windowEnd.getTime() - now.getTime()) / 1000)) },
    );
  return token;
}

/** Pushed points (the API's JSON), all or nothing; returns how many were new or changed. */
export async function pushPoints(
  deps: AppDeps,
  token: ApiToken,
  points: readonly RawPoint[],
): Promise<number> {
  const forbidden = [...new Set(points.map((p) => p.roadmap))].filter(
    (id): id is string => id !== undefined && !tokenAllows(token, id),
  );
  if (forbidden.length > 0)
    throw new CommandError(
      'forbidden',
      `this token may not write to ${forbidden.join(', ')}; nothing was written`,
    );
  const now = deps.clock();
  const batch = validateBatch(points, {
    roadmaps: (id) => deps.registry.get(id),
    now,
    defaultSource: 'api',
  });
  return write(deps, token, batch, 'json', now);
}

/** Pushed points as CSV (header `roadmap,metric,value[,at][,source]`), all or nothing. */
export async function pushCsv(deps: AppDeps, token: ApiToken, text: string): Promise<number> {
  const now = deps.clock();
  const csv = parsePointsCsv(text, (id) => deps.registry.get(id), undefined, now, {
    defaultSource: 'api',
    allowed: (id) => tokenAllows(token, id),
  });
  const errors: PointError[] = csv.errors.map((e) => ({
    index: e.line - 2,
    field: e.field,
    message: `line ${e.line}: ${e.message}`,
    code: e.code,
  }));
  return write(deps, token, { points: csv.points, errors }, 'csv', now);
}

async function write(
  deps: AppDeps,
  token: ApiToken,
  batch: { points: PointInput[]; errors: PointError[] },
  format: 'json' | 'csv',
  now: Date,
): Promise<number> {
  const { points, errors } = batch;
  const listed = (some: PointError[]): FieldProblem[] =>
    some.map(({ index, field, message }) => ({ index, field, message }));
  if (errors.some((e) => e.code === 'forbidden'))
    throw new CommandError(
      'forbidden',
      'this token may not write to some of these roadmaps; nothing was written',
      [],
      { problems: listed(errors) },
    );
  if (errors.length > 0)
    throw new CommandError('invalid', `${errors.length} problem(s); nothing was written`, [], {
      problems: listed(errors.slice(0, MAX_LISTED)),
    });
  // The token is checked again in the write's own statement: it may have been revoked since
  // the request was authenticated.
  const outcome = await deps.store.points.recordForToken(token.id, points, {
    actor: { platform: 'api', id: token.name },
    action: 'push',
    details: { points: points.length, format },
    at: now,
  });
  if ('written' in outcome) return outcome.written;
  if (outcome.refused === 'revoked') throw new CommandError('unauthorized', REVOKED);
  const scope = { roadmaps: outcome.scope };
  const forbidden = [...new Set(points.map((p) => p.roadmapId))].filter(
    (id) => !tokenAllows(scope, id),
  );
  throw new CommandError(
    'forbidden',
    `this token may not write to ${forbidden.join(', ')}; nothing was written`,
  );
}

/** A roadmap's status document (as `status --json`), for a token that may read it. */
export async function statusDocument(
  deps: AppDeps,
  token: ApiToken,
  roadmapId: string,
): Promise<ReturnType<typeof statusJson>> {
  const roadmap = deps.registry.get(roadmapId);
  if (!roadmap) throw new CommandError('not_found', `no roadmap "${roadmapId}" is loaded`);
  if (!tokenAllows(token, roadmap.id))
    throw new CommandError('forbidden', `this token may not read ${roadmap.id}`);
  return statusJson(await evaluateWithForecast(deps, roadmap, deps.clock()));
}
