#!/bin/sh
# Renders the API's proxy configuration, then runs a command (HAProxy) if given:
#   haproxy-render.sh TEMPLATE OUTPUT [COMMAND [ARGS...]]
# TEMPLATE is docker/haproxy-api.cfg; OUTPUT gets it with its `#@servers` line
# replaced by one `server` line per entry of API_SERVERS (`name=host:port`,
# separated by spaces), each health-checked. Every other setting is left to
# HAProxy, which reads it from the environment. The image of
# docker/haproxy-debian.Dockerfile runs this as its entry point; the native
# launchers (tools/src/proxy/) run it too, so both render alike.
set -eu

if [ $# -lt 2 ]; then
  echo "usage: haproxy-render.sh TEMPLATE OUTPUT [COMMAND [ARGS...]]" >&2
  exit 2
fi
template=$1
output=$2
shift 2

servers=
for entry in ${API_SERVERS:-}; do
  name=${entry%%=*}
  address=${entry#*=}
  case $name in
    '' | *[!A-Za-z0-9_.-]*) name= ;;
  esac
  case $address in
    '' | *[!A-Za-z0-9_.:-]* | *=*) address= ;;
  esac
  if [ -z "$name" ] || [ -z "$address" ] || [ "$entry" = "$name" ]; then
    echo "haproxy-render: API_SERVERS entry '$entry' is not name=host:port" >&2
    exit 2
  fi
  servers="$servers  server $name $address check
"
done
if [ -z "$servers" ]; then
  echo "haproxy-render: API_SERVERS is empty: set it to the API processes as name=host:port, e.g. 'api0=127.0.0.1:5005 api1=127.0.0.1:5006'" >&2
  exit 2
fi
if ! grep -q '^ *#@servers' "$template"; then
  echo "haproxy-render: $template has no '#@servers' line" >&2
  exit 2
fi

# awk -v would interpret backslashes: the lines go through the environment instead.
SERVERS=$servers awk '/^ *#@servers/ { printf "%s", ENVIRON["SERVERS"]; next } { print }' \
  "$template" >"$output.tmp"
mv "$output.tmp" "$output"

[ $# -eq 0 ] || exec "$@"
