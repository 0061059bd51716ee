# One image for the five apps (build once); each compose service picks its
# entry point with `command`. Base image is a build argument: the public
# node:24-bookworm-slim by default, a local stand-in where no registry is
# reachable (scripts/docker-local-images.sh).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
RUN npx nest build api && npx nest build observer && npx nest build simulator \
 && npx nest build streamer && npx nest build consumer \
 && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production NO_COLOR=1
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
USER node
CMD ["node", "dist/apps/api/apps/api/src/main.js"]
