# syntax=docker/dockerfile:1
# The production image of H2O-ACP: one image for the API, the worker, the CLI and the dashboard's server
# (docker-compose.yml picks the command). Build: `docker build -t h2o-acp .`
ARG NODE_IMAGE=node:22-bookworm-slim

# 1. build: every dependency, the Prisma client, the API bundle (api/dist) and the dashboard (web/build)
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY api/package.json api/
COPY web/package.json web/
COPY patches ./patches
# no install scripts (as package.json's allowScripts says: none is needed); our patches to dependencies (patches/) are
# applied, and the Prisma client is generated below
RUN npm ci --include=dev --ignore-scripts && npx patch-package
COPY . .
RUN npm run generate -w api && node --import tsx api/src/build/run.ts --force

# 2. production dependencies only (the API bundle and the dashboard's server load them from node_modules)
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY api/package.json api/
COPY web/package.json web/
COPY patches ./patches
RUN npm ci --omit=dev --ignore-scripts && npx patch-package && npm cache clean --force

# 3. runtime: production dependencies, the built code, migrations; tini as PID 1 forwards signals (graceful
# shutdown on `docker stop`) and reaps children; a non-root user
FROM ${NODE_IMAGE} AS runtime
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /data && chown node:node /data
WORKDIR /app
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    DATA_DIR=/data
# the deps stage's /app: the package manifests and every node_modules tree (the root's and the workspaces' own,
# e.g. api/node_modules/lru-cache, a newer major than the root's)
COPY --from=deps /app ./
COPY prisma.config.ts ./
COPY prisma ./prisma
COPY api/scripts/schema-engine.mjs ./api/scripts/
COPY --from=build /app/api/dist ./api/dist
COPY --from=build /app/web/build ./web/build
USER node
EXPOSE 4000 3000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "api/dist/main.js"]
