/**
 * A number from the environment for a bench setting, or `fallback` when unset; anything else
 * stops the bench with the variable named.
 */
export function numberEnv(
  name: string,
  fallback: number,
  rule: { integer?: boolean; positive?: boolean } = {},
): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  const ok =
    (rule.integer ? Number.isInteger(n) : Number.isFinite(n)) && (rule.positive ? n > 0 : n >= 0);
  if (!ok)
    throw new Error(
      `${name} must be a ${rule.positive ? 'positive' : 'non-negative'} ${rule.integer ? 'integer' : 'number'}, got "${raw}"`,
    );
  return n;
}
