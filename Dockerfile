# feikong: multi-stage image. The build stage compiles the native modules (better-sqlite3,
# serialport, libpq against Debian's libpq-dev) and the TypeScript; the runtime stage carries only
# production dependencies, the compiled daemon and its CLI (`docker exec <container> feikong …`),
# runs as a non-root user, and keeps its database in a volume.
#
#   docker build -t feikong .
#   docker run -d --name feikong -p 8080:8080 -p 1883:1883 -v feikong-data:/var/lib/feikong feikong
#   docker exec feikong feikong keys create --name admin --role admin

FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ libpq-dev \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY protocols ./protocols
COPY simulators ./simulators
COPY migrations ./migrations
COPY migrations-pg ./migrations-pg
COPY registermaps ./registermaps
COPY profiles ./profiles
COPY console ./console
RUN npm run build && npm run build:console && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    FEIKONG_DATA_DIR=/var/lib/feikong \
    FEIKONG_HTTP__HOST=0.0.0.0 \
    FEIKONG_HTTP__PORT=8080 \
    FEIKONG_MQTT__EMBEDDED_HOST=0.0.0.0
WORKDIR /app
# libpq5: the PostgreSQL client library the libpq binding links (database.url = postgres://…).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system feikong && useradd --system --gid feikong --groups dialout --home /var/lib/feikong feikong \
 && mkdir -p /var/lib/feikong && chown feikong:feikong /var/lib/feikong
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/migrations ./migrations
COPY --from=build /app/migrations-pg ./migrations-pg
COPY --from=build /app/registermaps ./registermaps
COPY --from=build /app/profiles ./profiles
COPY --from=build /app/console/dist ./console/dist
COPY package.json ./
COPY bin ./bin
COPY scripts/healthcheck.mjs ./scripts/healthcheck.mjs
RUN ln -s /app/bin/feikong.mjs /usr/local/bin/feikong
USER feikong
VOLUME ["/var/lib/feikong"]
EXPOSE 8080 1883
# Asks /healthz on the configured address and port (FEIKONG_CONFIG and FEIKONG_* as the daemon reads them).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "scripts/healthcheck.mjs"]
CMD ["node", "dist/src/main.js"]
