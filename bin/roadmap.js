#!/usr/bin/env node
// `npx roadmap …`: runs the compiled CLI (dist/cli/, bundled by `npm install` or `npm run build`)
// in this very process: no wrapper process, no TypeScript compiled at run time. From the
// sources, without building: `npm run roadmap -- <command>`.
import { existsSync } from 'node:fs';
import module from 'node:module';
import { URL } from 'node:url';

// Node 22.1+ (the Docker image's) keeps V8's compiled code of the modules on disk and reuses it
// on the next run, a shorter start for every command; Node 20 has no such cache (a no-op here).
module.enableCompileCache?.();

const entry = new URL('../dist/cli/roadmap.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'roadmap: not built yet. Run `npm run build` (npm install does it), or `npm run roadmap -- <command>` to run the sources.\n',
  );
  process.exit(1);
}
await import(entry.href);
