import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/**
 * Discord signs every interaction it sends: Ed25519 over `timestamp + raw body`, with the
 * application's public key (hex, 32 bytes). Discord publishes no freshness window, so a
 * captured request could be replayed as is; we refuse timestamps further than this from now.
 */
export const REPLAY_WINDOW_MS = 5 * 60_000;

/** The application's public key (DISCORD_PUBLIC_KEY, 64 hex characters) as a Node key. */
export function publicKeyFromHex(hex: string): KeyObject {
  if (!/^[0-9a-fA-F]{64}$/.test(hex))
    throw new Error(
      'DISCORD_PUBLIC_KEY: expected 64 hex characters (the public key from the developer portal)',
    );
  return createPublicKey({
    key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(hex, 'hex').toString('base64url') },
    format: 'jwk',
  });
}

export type Verdict = 'ok' | 'missing' | 'bad-signature' | 'stale';

/**
 * Checks one request; anything but `ok` is answered with 401. The Ed25519 verification (about
 * 0.1 ms of CPU) runs in libuv's thread pool, off the event loop: in a burst, the loop goes on
 * reading and acknowledging other requests meanwhile, and a second core can verify.
 */
export async function verifyInteraction(
  key: KeyObject,
  headers: { signature?: string | string[]; timestamp?: string | string[] },
  body: Buffer,
  now: Date,
  windowMs = REPLAY_WINDOW_MS,
): Promise<Verdict> {
  const { signature, timestamp } = headers;
  if (typeof signature !== 'string' || typeof timestamp !== 'string') return 'missing';
  if (!/^[0-9a-fA-F]{128}$/.test(signature) || !/^\d{1,12}$/.test(timestamp))
    return 'bad-signature';
  const signed = Buffer.concat([Buffer.from(timestamp, 'utf8'), body]);
  const valid = await new Promise<boolean>((resolve) =>
    verify(null, signed, key, Buffer.from(signature, 'hex'), (error, ok) => resolve(!error && ok)),
  );
  if (!valid) return 'bad-signature';
  // Checked after the signature, so an unsigned request learns nothing about our clock.
  if (Math.abs(now.getTime() - Number(timestamp) * 1000) > windowMs) return 'stale';
  return 'ok';
}
