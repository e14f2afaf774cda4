# syntax=docker/dockerfile:1
# rdev's container image: `docker build -t rdev .`
# No step here may need more than the files `git ls-files` lists: tests/e2e/docker-recipe.test.ts
# replays this file without a Docker engine (same COPY and RUN steps in a scratch folder, then
# starts the result and asks it for /ready), so keep to plain COPY, RUN, ENV, WORKDIR and friends.

ARG NODE_IMAGE=node:20-bookworm-slim

# Build: every dependency, the server bundled by esbuild into dist/ (scripts/server-bundle.mjs),
# the web console built to console/dist/, then development dependencies pruned.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The lock file first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
# `npm ci` runs the build scripts (prepare), which find no sources yet and skip; `npm run build` builds below.
COPY scripts/build-server.mjs scripts/server-bundle.mjs scripts/build-console.mjs ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY migrations ./migrations
COPY src ./src
COPY console ./console
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# The runtime stage runs no commands, so its one writable folder is made here and copied over.
RUN mkdir -p state/workspaces

# Runtime: production dependencies, the bundled server (dist/, migrations included), the built
# console and the launcher only. Files belong to root and are read-only to the process; it writes
# nothing but /var/lib/rdev (embedded database, local workspaces), which Kubernetes replaces with a
# volume.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=4000 \
    RDEV_DATA_DIR=/var/lib/rdev \
    RDEV_WORKSPACES_DIR=/var/lib/rdev/workspaces
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/console/dist ./console/dist
COPY --from=build /app/bin ./bin
COPY --from=build --chown=10001:10001 /app/state /var/lib/rdev
# Numeric, so Kubernetes can check runAsNonRoot without reading /etc/passwd.
USER 10001:10001
EXPOSE 4000
# Exec form: Node is the process that receives SIGTERM and drains (readiness 503, WebSockets 1001,
# leases released). Node does not reap orphaned children as PID 1; with the Kubernetes runtime rdev
# starts none, and for the local runtime run the image with `docker run --init`.
# No HEALTHCHECK: Kubernetes probes /health and /ready (manifests/base/deployment.yaml).
ENTRYPOINT ["node", "bin/rdev.js"]
CMD ["serve"]
