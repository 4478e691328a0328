# Synrouter's container image: Node 24 from the official image (the `node` devDependency that pins
# it for `npm install` is not needed here), production dependencies only, a non-root user, the
# SQLite store on a volume, and /health as the health check.
#
#   docker build -t synrouter .
#   docker run -d -p 8787:8787 -v synrouter-data:/var/lib/synrouter -e SYNROUTER_ANTHROPIC_API_KEY=sk-ant-... synrouter
#
# Not built on the machine this was written on (no container engine there); see README "Run the image".
ARG NODE_VERSION=24

# ---- dependencies: production packages from the lockfile, no install scripts -------------------
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# ---- runtime -----------------------------------------------------------------------------------
FROM node:${NODE_VERSION}-bookworm-slim
ENV NODE_ENV=production \
    SYNROUTER_HOST=0.0.0.0 \
    SYNROUTER_PORT=8787 \
    SYNROUTER_DB=/var/lib/synrouter/synrouter.db
# Its own user and group, no login shell; the data directory 0700 (Synrouter's own rule for it).
RUN groupadd --system --gid 10001 synrouter \
 && useradd --system --uid 10001 --gid synrouter --home-dir /var/lib/synrouter --shell /usr/sbin/nologin synrouter \
 && install -d -o synrouter -g synrouter -m 0700 /var/lib/synrouter
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
USER synrouter
# The database, its -wal and -shm files and the first start's key file (first-start-keys.txt: stdout
# is not a terminal under `docker run -d`, so the first keys are written there, 0600, not printed).
VOLUME ["/var/lib/synrouter"]
EXPOSE 8787
# No curl in the slim image: Node asks /health itself.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SYNROUTER_PORT || 8787) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM (docker stop): in-flight requests finish for up to SYNROUTER_SHUTDOWN_GRACE_MS (30 s),
# then the ledger, the access log and the spans are flushed. Give `docker stop` more than that: -t 40.
STOPSIGNAL SIGTERM
CMD ["node", "src/cli/main.ts", "serve"]
