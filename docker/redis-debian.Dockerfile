# The unified log's Redis: Debian's redis-server (7.0), run in the foreground
# as the official image does, data in /data. The service's `command` gives it
# its settings (append-only file, password).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data && chown redis:redis /data \
 && redis-server --version
USER redis
WORKDIR /data
ENTRYPOINT ["redis-server"]
