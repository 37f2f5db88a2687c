/**
 * Signed, expiring links to one roadmap's web page (issue 17, "Who may look"). A link carries
 * `exp` (its expiry, whole seconds since the epoch) and `sig`, an HMAC-SHA256 of the roadmap id
 * and `exp` under WEB_SECRET, so it opens that roadmap until then and nothing else. Pure: the
 * secret and the instants are passed in (HMAC is a computation, not I/O).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** `roadmap link` without `--ttl`. */
export const DEFAULT_LINK_TTL_MS = 7 * 86_400_000;
/** The longest `--ttl` a link may be given: a year (a TV in the office). */
export const MAX_LINK_TTL_MS = 366 * 86_400_000;

/** The query parameters of a signed link. */
export interface LinkParams {
  /** Expiry, whole seconds since the epoch. */
  exp: string;
  /** base64url HMAC-SHA256 (43 characters). */
  sig: string;
}

export type LinkCheck =
  | { ok: true; expiresAt: Date }
  | { ok: false; reason: 'missing' | 'malformed' | 'forged' | 'expired'; expiresAt?: Date };

// Versioned, and with separators a slug cannot contain, so no other message signs the same.
const message = (roadmapId: string, exp: number) => `roadmap-bot web link v1\n${roadmapId}\n${exp}`;

const mac = (secret: string, roadmapId: string, exp: number): Buffer =>
  createHmac('sha256', secret).update(message(roadmapId, exp)).digest();

/** The signature of a link to `roadmapId` valid until `expiresAt` (rounded down to the second). */
export function signLink(secret: string, roadmapId: string, expiresAt: Date): LinkParams {
  const exp = Math.floor(expiresAt.getTime() / 1000);
  return { exp: String(exp), sig: mac(secret, roadmapId, exp).toString('base64url') };
}

const EXP = /^[1-9]\d{0,11}$/;
const SIG = /^[A-Za-z0-9_-]{43}$/;

/**
 * Whether `params` open `roadmapId` at `now`: the signature is compared in constant time
 * before the expiry is looked at, so a forged link learns nothing from the answer's timing.
 */
export function verifyLink(
  secret: string,
  roadmapId: string,
  params: { exp?: unknown; sig?: unknown },
  now: Date,
): LinkCheck {
  const { exp, sig } = params;
  if (exp === undefined && sig === undefined) return { ok: false, reason: 'missing' };
  if (typeof exp !== 'string' || typeof sig !== 'string' || !EXP.test(exp) || !SIG.test(sig))
    return { ok: false, reason: 'malformed' };
  const seconds = Number(exp);
  const expected = mac(secret, roadmapId, seconds);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'forged' };
  const expiresAt = new Date(seconds * 1000);
  if (now.getTime() >= expiresAt.getTime()) return { ok: false, reason: 'expired', expiresAt };
  return { ok: true, expiresAt };
}

/** The path of a roadmap's page (relative to the server's root). */
export const pagePath = (roadmapId: string): string => `/roadmaps/${encodeURIComponent(roadmapId)}`;

/**
 * The absolute URL of a roadmap's page under `publicUrl` (PUBLIC_URL, with or without a path
 * and a trailing slash), with the link's parameters when given and `tv=1` for TV mode.
 */
export function pageUrl(
  publicUrl: string,
  roadmapId: string,
  link?: LinkParams,
  options: { tv?: boolean } = {},
): string {
  const url = new URL(publicUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${pagePath(roadmapId)}`;
  url.search = '';
  url.hash = '';
  if (link) {
    url.searchParams.set('exp', link.exp);
    url.searchParams.set('sig', link.sig);
  }
  if (options.tv) url.searchParams.set('tv', '1');
  return url.toString();
}
