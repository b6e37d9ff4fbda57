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
CMD ["npx", "tsx", "src/worker.ts"]
