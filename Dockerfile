# syntax=docker/dockerfile:1
# Production image: dependencies installed from the lockfile in a build stage, then copied
# into a slim runtime that runs as an unprivileged user. Production passes DATABASE_URL;
# the embedded PostgreSQL is for laptops and tests.

FROM node:22-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000 ROADMAPS_DIR=/app/roadmaps DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
COPY roadmaps ./roadmaps
COPY assets ./assets
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
# Node itself is the container's process (no shell, no npm), so `docker stop`'s SIGTERM reaches
# src/main.ts, which shuts down cleanly (test/main.test.ts runs this CMD and signals it).
CMD ["node", "--import", "tsx", "src/main.ts"]
