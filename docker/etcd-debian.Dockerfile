# The distributed configuration store of docker-compose.ha.yml: Debian's
# etcd-server (3.4; Patroni's `etcd3` store speaks its v3 API), configured by
# ETCD_* variables, curl for the healthcheck. Debian's package has no
# official-image equivalent we could pull instead, so the base is Debian itself
# (debian:bookworm-slim, or rrs-local/debian:bookworm).
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server curl >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/etcd && chown etcd:etcd /var/lib/etcd
USER etcd
ENTRYPOINT ["/usr/bin/etcd"]
