# A Patroni node for docker-compose.ha.yml: the compose stack's own Postgres
# image (postgres:16, or rrs-local/postgres:15 where no registry is reachable;
# both Debian bookworm) plus Debian's patroni package, and curl for the
# healthcheck. The data directory's parent belongs to postgres so that a new
# named volume starts out writable by Patroni, which runs as postgres.
ARG POSTGRES_IMAGE=postgres:16
FROM ${POSTGRES_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patroni curl >/dev/null \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/postgresql/data && chown postgres:postgres /var/lib/postgresql /var/lib/postgresql/data \
 && patroni --version
