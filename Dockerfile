# The xledger-sync worker. Build: docker build -t xledger-sync .
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# tsx runs the TypeScript directly; it is a runtime dependency.
RUN npm ci --omit=dev && npm cache clean --force
COPY tsconfig.json ./
COPY src ./src
USER node
# node itself is PID 1 (no npx or tsx wrapper in between), so `docker stop`'s SIGTERM reaches the
# worker, which drains and exits (see WORKER_SHUTDOWN_*_SECONDS and stop_grace_period).
CMD ["node", "--import", "tsx", "src/worker.ts"]
