# The bundle server image (`custody serve`), built and pushed by .github/workflows/release.yml on a
# version tag as ghcr.io/custody-dev/custody:<version>, the image the generated Deployment runs.
#
# Two stages: the build stage compiles the TypeScript; the runtime stage holds only the compiled
# code and the production dependencies. The base is pinned by version (the Node line the tests
# run); pin it by digest as well where a registry is reachable to resolve one.
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: `prepare` would build before the sources are here; the build is the next step.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
# Everything above belongs to root and is only read. The server writes only to its cache, its
# decision log and /tmp, which the Deployment mounts as emptyDirs: the root filesystem can be
# read-only (readOnlyRootFilesystem: true).
USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "/app/bin/custody.js", "serve"]
