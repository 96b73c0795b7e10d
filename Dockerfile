# One image for every role: `cascade serve` (default) and `cascade run bots/<id>.yaml`.
# The TypeScript sources are compiled to dist/ at build time; the image ships only the compiled
# JavaScript and the production dependencies.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
# `npm ci` runs `prepare` (scripts/build.mjs). Checked: a failed install must fail the build.
RUN npm ci --no-audit --no-fund && test -f dist/.built

FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force \
  && node -e "for (const m of ['bullmq','ioredis','express','wechaty','wechaty-puppet-wechat4u','pino','yaml']) require.resolve(m)"

FROM node:20-slim
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json package-lock.json ./
COPY bin ./bin
COPY config ./config
COPY bots ./bots
# Login sessions live in /app/.sessions (a volume per account); owned by the non-root user.
RUN mkdir -p /app/.sessions && chown node:node /app/.sessions
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/cascade.mjs"]
CMD ["serve"]
