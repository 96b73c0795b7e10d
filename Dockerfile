# One image for every role: `cascade serve` (default) and `cascade run bots/<id>.yaml`.
# The TypeScript sources are compiled to dist/ at build time; the image ships only the compiled
# JavaScript and the files of the production dependencies that it can load (traced, see deps).
#
# Builds need the npm registry: `docker build --network host .` where containers have no egress.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
# `npm ci` runs `prepare` (scripts/build.mjs). npm can exit 0 without installing anything (seen with
# the registry unreachable: "Exit handler never called!", folders without files), so the install is
# checked: `npm ls` fails on any package missing or without its package.json, and dist/ must exist.
RUN npm ci --no-audit --no-fund \
  && npm ls --all >/dev/null \
  && test -f dist/.built

FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
  && npm ls --omit=dev --all >/dev/null \
  && node -e "for (const m of ['bullmq','ioredis','express','wechaty','wechaty-puppet-wechat4u','wechaty-puppet-mock','pino','yaml']) require.resolve(m)"
# The file tracer (build time only, its own lockfile) keeps the ~20 MB of node_modules the app can
# load out of ~180 MB: no TypeScript (valibot's peer), @swc (listed by wechaty-puppet-wechat4u,
# never loaded), tsx/esbuild (dist/ is there), browser bundles, other module formats, source maps,
# type declarations, READMEs, prebuilds for other platforms. See docker/trace/slim.mjs.
COPY docker/trace/package.json docker/trace/package-lock.json /trace/
RUN cd /trace && npm ci --no-audit --no-fund && npm ls --all >/dev/null
COPY docker/trace/slim.mjs /trace/
COPY bin ./bin
COPY --from=build /app/dist ./dist
RUN node /trace/slim.mjs /app /slim

FROM node:20-slim
ENV NODE_ENV=production PORT=8080
WORKDIR /app
COPY --from=deps /slim/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
COPY bots ./bots
# A trace that missed a file fails here, not in production: every module of dist/ loads (with its
# imports), and the commands that need no Redis run.
RUN node -e "const fs=require('fs');(async()=>{for(const f of fs.readdirSync('dist',{recursive:true}))if(f.endsWith('.js')&&!f.startsWith('web/static/'))await import('/app/dist/'+f)})().catch(e=>{console.error(e);process.exit(1)})" \
  && node bin/cascade.mjs help >/dev/null \
  && node bin/cascade.mjs validate >/dev/null \
  && mkdir -p /app/.sessions && chown node:node /app/.sessions
# Login sessions live in /app/.sessions (a volume per account); owned by the non-root user.
USER node
EXPOSE 8080
# Every 10 s (a fetch of /healthz): `up` sees the services healthy ~10 s after they start, not 30.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "bin/cascade.mjs"]
CMD ["serve"]
