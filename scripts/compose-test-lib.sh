# Sourced by the compose test scripts, after they define `log` and `dc`.
#
# A failure prints the stack's logs, tears the stack down, and then names what
# failed on the last line: a CI log is often read from its tail, and hundreds
# of container log lines would otherwise bury the reason.
#
#   fail TEXT           a failed check that stops the script
#   check_failed TEXT   a failed check; the script goes on (later phases are long)
#   failed_checks       true when any check failed so far
#   trap 'compose_finish LINES' EXIT   (LINES of each service's log on failure)
#
# A command that stops the script through `set -e` is named too (line and command).
#
#   recreate SERVICE    the service's container removed and created again (with
#                       the environment now exported), once more if that fails

failures=()
stopped_at=
# Functions and subshells inherit the ERR trap: a failing command inside one is named as well.
set -E
# (A failing command here stops the script at once: set -e fires where this trap does.)
note_stop() { stopped_at="${BASH_SOURCE[1]##*/}:$1: ${2//$'\n'/ }"; }
trap 'note_stop "$LINENO" "$BASH_COMMAND"' ERR

fail() {
  failures+=("$*")
  log "FAILED: $*"
  exit 1
}
check_failed() {
  failures+=("$*")
  log "FAILED (going on): $*"
}
failed_checks() { [ ${#failures[@]} -gt 0 ]; }

compose_finish() {
  local code=$? lines=$1
  [ $code -ne 0 ] || ! failed_checks || code=1
  if [ $code -ne 0 ]; then
    log "failed: the stack's logs (the reason is below them)"
    dc logs --no-color --tail="$lines" || true
  fi
  log "tearing down"
  dc down -v --remove-orphans >/dev/null 2>&1 || true
  if [ $code -ne 0 ]; then
    [ -z "$stopped_at" ] || failures+=("stopped by ${stopped_at:0:300} (exit $code)")
    failed_checks || failures+=("exit $code")
    [ -z "${summary:-}" ] || failures+=("$summary")
    local text
    text=$(printf '%s; ' "${failures[@]}")
    log "FAILED: ${text%; }"
  fi
  exit $code
}

# Removed first, not recreated in place: docker-compose 1.x's in-place
# recreation (rename, copy volumes, start) is the path its known failures take.
recreate() {
  dc rm -s -f "$1" >/dev/null
  dc up -d --no-deps "$1" && return 0
  log "creating $1 failed (above); once more in 2 s"
  sleep 2
  dc rm -s -f "$1" >/dev/null
  dc up -d --no-deps "$1"
}
