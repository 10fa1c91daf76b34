# One image for every part of StarGate; the entry point picks the part:
#   node gateway/dist/main.js    (default; port 8080)
#   node server/dist/main.js     (health/metrics on 9090)
#   node operator/dist/main.js   (health/metrics on 8081)
#   node client-sdk/dist/cli.js  (the `stargate` CLI)
# Build from the repository root:  docker build -t stargate:dev .
# (Docker >= 23 / BuildKit: `RUN --mount` is in the built-in Dockerfile frontend, so there is
# deliberately no `# syntax=` line, which would make BuildKit pull a frontend image first.)
# Without a registry: `make image` builds this file with podman on local FROM-scratch bases
# (tools/images/), passing NODE_IMAGE and RUNTIME_IMAGE.
ARG NODE_IMAGE=node:24-alpine
# The runtime base needs only node; by default the same image as the build.
ARG RUNTIME_IMAGE=${NODE_IMAGE}

# ---- build: all dependencies, compile, then drop dev dependencies, tests and type files
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first so the dependency layer is cached until they change. npm ci needs every
# workspace's package.json to match the lock file, including the test-only ones.
COPY package.json package-lock.json tsconfig.base.json tsconfig.build.json ./
COPY contracts/package.json contracts/
COPY telemetry/package.json telemetry/
COPY testkit/package.json testkit/
COPY gateway/package.json gateway/
COPY server/package.json server/
COPY client-sdk/package.json client-sdk/
COPY operator/package.json operator/
COPY e2e/package.json e2e/
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund --loglevel=error
COPY contracts contracts
COPY telemetry telemetry
COPY gateway gateway
COPY server server
COPY client-sdk client-sdk
COPY operator operator
COPY tools/images/minify-dependencies.mjs tools/images/
# Only what runs. The product build (tsconfig.build.json: every package's src/ less its
# *.test.ts and src/testing/) compiles no test or test helper (.dockerignore keeps them out of
# the context as well; the find fails the build should one appear); then no declaration files,
# source maps, docs, tests or examples of the dependencies (Node loads none of them). The
# generated Kubernetes client and OpenTelemetry semantic conventions are mostly doc comments:
# their JavaScript loses comments and whitespace, nothing else (tools/images/minify-dependencies.mjs,
# before the prune, as it uses the build-time rolldown). Native prebuilds are kept for this
# platform only (the bare-* ones, which Node never even loads, carry 13 platforms).
RUN npx tsc -b tsconfig.build.json \
 && [ -z "$(find */dist \( -name '*.test.*' -o -path '*/testing/*' \) -print)" ] \
 && find */dist \( -name '*.d.ts' -o -name '*.tsbuildinfo' -o -name '*.map' \) -delete \
 && node tools/images/minify-dependencies.mjs node_modules/@kubernetes/client-node \
      node_modules/@opentelemetry/semantic-conventions \
 && npm prune --omit=dev --no-audit --no-fund --loglevel=error \
 && rm -rf node_modules/@stargate/testkit node_modules/@stargate/e2e node_modules/.cache \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
      -o -name '*.md' -o -name '*.markdown' -o -name '*.ts' -o -name '*.tsbuildinfo' \) ! -iname 'LICENSE*' -delete \
 && find node_modules -type d \( -path '*/@opentelemetry/*/build/esnext' -o -name @types \
      -o -regex '\(.*/\)?node_modules/\(@[^/]*/\)?[^@/][^/]*/\(test\|tests\|__tests__\|examples?\|benchmarks?\|docs\|coverage\|\.github\)' \) \
      -prune -exec rm -rf {} + \
 && find node_modules -type d -regex '.*/prebuilds/[^/]*' ! -name "linux-$(node -p process.arch)*" \
      -prune -exec rm -rf {} +

# ---- runtime: production dependencies and compiled JavaScript only, as a non-root user
FROM ${RUNTIME_IMAGE}
ENV NODE_ENV=production
# Package managers are not needed at run time: less to patch, less to exploit. (Exec form:
# the runtime base need not have a shell; paths that do not exist are ignored.)
RUN ["node", "-e", "const fs = require('node:fs'); const opt = fs.existsSync('/opt') ? fs.readdirSync('/opt').filter((d) => d.startsWith('yarn')).map((d) => `/opt/${d}`) : []; for (const p of ['/usr/local/lib/node_modules/npm', '/usr/local/lib/node_modules/corepack', '/usr/local/bin/npm', '/usr/local/bin/npx', '/usr/local/bin/corepack', '/usr/local/bin/yarn', '/usr/local/bin/yarnpkg', ...opt]) fs.rmSync(p, { recursive: true, force: true })"]
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/contracts/package.json contracts/
COPY --from=build /app/contracts/dist contracts/dist
COPY --from=build /app/telemetry/package.json telemetry/
COPY --from=build /app/telemetry/dist telemetry/dist
COPY --from=build /app/gateway/package.json gateway/
COPY --from=build /app/gateway/dist gateway/dist
COPY --from=build /app/server/package.json server/
COPY --from=build /app/server/dist server/dist
COPY --from=build /app/operator/package.json operator/
COPY --from=build /app/operator/dist operator/dist
COPY --from=build /app/client-sdk/package.json client-sdk/
COPY --from=build /app/client-sdk/dist client-sdk/dist
# Numeric, so Kubernetes' runAsNonRoot can verify it; the chart runs it as 10001 too.
USER 10001:10001
EXPOSE 8080 9090 8081
# For `docker run` and Compose (Kubernetes uses the chart's probes instead). The default checks
# the gateway; set STARGATE_HEALTHCHECK_URL for the server (http://127.0.0.1:9090/health/live)
# or the operator (http://127.0.0.1:8081/healthz).
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.STARGATE_HEALTHCHECK_URL || 'http://127.0.0.1:8080/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "gateway/dist/main.js"]
