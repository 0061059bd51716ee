#!/usr/bin/env bash
# Builds local stand-ins for the public base images, for machines that can run
# Docker but reach no image registry (only Debian's package mirror and npm):
#   rrs-local/debian:bookworm  debootstrap'd minbase, `docker import`ed (also
#                              docker-compose.ha.yml's DEBIAN_IMAGE: etcd, haproxy)
#   rrs-local/postgres:15      Debian's postgresql-15 (binaries not on PATH, no gosu)
#   rrs-local/node:24          this machine's Node binary and npm on that base
#   rrs-local/prometheus:2     Debian's prometheus package
# The local images also trust this machine's extra CA certificates
# (/usr/local/share/ca-certificates), as npm here does. Each is built only if missing. docker-compose.yml never needs them where
# `postgres:16`, `node:24-bookworm-slim` and `prom/prometheus` can be pulled.
# docker-compose.ha.yml builds its Patroni, etcd and HAProxy images itself, on
# POSTGRES_IMAGE and DEBIAN_IMAGE (rrs-local/postgres:15 and rrs-local/debian:bookworm here).
set -euo pipefail
cd "$(dirname "$0")/.."

MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
have() { docker image inspect "$1" >/dev/null 2>&1; }
log() { printf 'docker-local-images | %s\n' "$*"; }

if ! have rrs-local/debian:bookworm; then
  command -v debootstrap >/dev/null || { log "installing debootstrap"; apt-get install -y -qq debootstrap >/dev/null; }
  rootfs=$(mktemp -d)
  trap 'rm -rf "$rootfs"' EXIT
  log "debootstrap bookworm minbase from $MIRROR (a few minutes)"
  debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >/dev/null
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - rrs-local/debian:bookworm >/dev/null
  rm -rf "$rootfs"
  trap - EXIT
fi

if ! have rrs-local/postgres:15; then
  log "building rrs-local/postgres:15 from Debian's packages"
  docker build -q -t rrs-local/postgres:15 -f docker/postgres-debian.Dockerfile docker >/dev/null
fi

if ! have rrs-local/prometheus:2; then
  log "building rrs-local/prometheus:2 from Debian's packages"
  docker build -q -t rrs-local/prometheus:2 -f docker/prometheus-debian.Dockerfile docker >/dev/null
fi

if ! have rrs-local/node:24; then
  # Exactly the .nvmrc version (the tag says 24): the machine's, or .toolchain's.
  NODE_TOOLCHAIN_EXACT=1 . scripts/node-toolchain.sh
  node_bin=$(command -v node)
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' EXIT
  cp "$(readlink -f "$node_bin")" "$ctx/node"
  cp -r "$npm_dir" "$ctx/npm"
  cp docker/node-local.Dockerfile "$ctx/Dockerfile"
  # The machine's own extra CAs (a TLS-intercepting egress proxy, say), so that
  # npm inside the image trusts what npm on this machine trusts.
  mkdir -p "$ctx/ca"
  cp /usr/local/share/ca-certificates/*.crt "$ctx/ca/" 2>/dev/null || true
  log "building rrs-local/node:24 with Node $("$node_bin" --version)"
  docker build -q -t rrs-local/node:24 "$ctx" >/dev/null
  rm -rf "$ctx"
  trap - EXIT
fi
log "ready: rrs-local/debian:bookworm rrs-local/postgres:15 rrs-local/node:24 rrs-local/prometheus:2"
