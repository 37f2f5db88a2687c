# syntax=docker/dockerfile:1
# Production image: a build stage installs from the lockfile, compiles the TypeScript to dist/
# (`npm ci` runs the `prepare` script, `npm run build`) and drops the dev dependencies; a slim
# runtime then runs the compiled code as an unprivileged user. Production passes DATABASE_URL;
# the embedded PostgreSQL is for laptops and tests.

FROM node:22-bookworm-slim AS build
WORKDIR /app
# What the build reads, before `npm ci`: its `prepare` script compiles src/ with these.
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund \
    && npm prune --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000 ROADMAPS_DIR=/app/roadmaps DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
# Read at run time from the package root: migrations, the chart fonts, the roadmaps; bin/ is
# `roadmap` (the compiled CLI: `docker exec <container> node bin/roadmap.js status`).
COPY migrations ./migrations
COPY roadmaps ./roadmaps
COPY assets ./assets
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# Node itself is the container's process (no shell, no npm), so `docker stop`'s SIGTERM reaches
# dist/main.js, which shuts down cleanly (test/main.test.ts runs this CMD and signals it).
CMD ["node", "dist/main.js"]
