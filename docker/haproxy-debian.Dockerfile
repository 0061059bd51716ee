# The load balancer of docker-compose.ha.yml: Debian's haproxy, run in the
# foreground as the official image does (master-worker, config in
# /usr/local/etc/haproxy), curl for the healthcheck.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy curl >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && haproxy -v | head -n 1
USER haproxy
ENTRYPOINT ["haproxy", "-W", "-db", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]
