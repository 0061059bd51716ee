# Local stand-in for the official postgres image: Debian's postgresql-15.
# Unlike the official image its binaries are not on PATH and there is no gosu;
# postgres/*.sh cope with both.
FROM rrs-local/debian:bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-client-15 >/dev/null \
 && rm -rf /var/lib/apt/lists/* /var/lib/postgresql/15/main /etc/postgresql/15/main
