# One image for every role: `cascade serve` (default) and `cascade run bots/<id>.yaml`.
# The TypeScript sources run through tsx (a production dependency), so there is no build step.

FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:20-slim
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
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
