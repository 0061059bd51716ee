# The API's proxy (and docker-compose.ha.yml's database balancer): Debian's
# haproxy, run in the foreground as the official image does (master-worker),
# curl for the healthcheck. The entry point renders the configuration first:
# docker/haproxy-api.cfg, mounted at /usr/local/etc/haproxy/, with a `server`
# line per API_SERVERS entry (docker/haproxy-render.sh); the service's
# `command` adds arguments to haproxy (`-f` another file).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy curl >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && haproxy -v | head -n 1
COPY haproxy-render.sh /usr/local/bin/haproxy-render
USER haproxy
ENTRYPOINT ["sh", "/usr/local/bin/haproxy-render", "/usr/local/etc/haproxy/haproxy-api.cfg", "/tmp/haproxy.cfg", \
  "haproxy", "-W", "-db", "-f", "/tmp/haproxy.cfg"]
