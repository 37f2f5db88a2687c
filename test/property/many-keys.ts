/** A valid roadmap with `n` unknown top-level keys (`k0:`, `k1:` …): the loader's worst mapping. */
export function manyKeys(n: number): string {
  return [
    'id: keys',
    'name: Keys',
    'stages: [{ id: s0, name: S0 }]',
    'metrics: {}',
    ...Array.from({ length: n }, (_, i) => `k${i.toString(36)}:`),
  ].join('\n');
}
