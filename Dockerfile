# The xledger-sync worker: docker build -t xledger-sync .
# Build stage: all dependencies, then `npm run build` (dist/: the compiled worker and CLI, the
# prebuilt workflow bundle) and the production dependencies alone.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: plain node, no compiler, no TypeScript sources, not root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    METRICS_PORT=9464
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
EXPOSE 9464
# /healthz answers 200 while the worker is alive (see the README's runbook for /readyz).
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + process.env.METRICS_PORT + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself is PID 1 (no npm, npx or shell in between): docker stop's and Kubernetes' SIGTERM
# reaches the worker, which handles it — drains within WORKER_SHUTDOWN_GRACE_SECONDS and exits
# (a signal during start-up ends it at once). The operator CLI: docker run … bin/xledger-sync.js tenant list
STOPSIGNAL SIGTERM
ENTRYPOINT ["node"]
CMD ["dist/worker.js"]
