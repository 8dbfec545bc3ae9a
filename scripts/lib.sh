# shellcheck shell=bash
# Shared helpers for the project's shell scripts. Source it; it defines no side effects
# beyond variables and functions.
#
#   ROOT   the project checkout
#   CACHE  where fetched and built things live, outside the work tree, so a fresh clone
#          on a machine that already built them reuses them
#   TOOLS  the project-local bin folder the other scripts put first on PATH (git-ignored)

ROOT="${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
CACHE="${AGENT_STORAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/agent-storage}"
# shellcheck disable=SC2034 # used by the scripts that source this file
TOOLS="$ROOT/.tools/bin"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# step NAME CMD...: runs CMD, printing when it starts and how long it took.
step() {
  local name="$1"; shift
  local start=$SECONDS
  log "▶ $name"
  if "$@"; then
    log "✔ $name ($((SECONDS - start))s)"
  else
    local rc=$?
    log "✘ $name failed after $((SECONDS - start))s (exit $rc)"
    return $rc
  fi
}

need_cmd() { command -v "$1" >/dev/null 2>&1 || die "$1 is not installed. $2"; }

# apt_install PKG...: installs Debian packages that are missing, running apt-get update at
# most once per script run.
APT_UPDATED=""
apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or apt-get install them)"
  if [ -z "$APT_UPDATED" ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || die "apt-get update failed"
    APT_UPDATED=1
  fi
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
}

# build_go_tool NAME: builds the command images/NAME (module agent-storage.local/images) into
# $CACHE/bin/NAME, again only when its sources or Go changed.
build_go_tool() {
  local name="$1" go="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
  local out="$CACHE/bin/$name" sum
  sum="$( (cat "$ROOT/images/$name"/*.go "$ROOT/images/go.mod"; "$go" version) | sha256sum | cut -c1-16)"
  if [ -x "$out" ] && [ "$(cat "$out.sum" 2>/dev/null)" = "$sum" ]; then return 0; fi
  mkdir -p "$CACHE/bin"
  (cd "$ROOT/images" && CGO_ENABLED=0 "$go" build -trimpath -ldflags "-s -w" -o "$out" "./$name") \
    || die "go build of images/$name failed"
  echo "$sum" > "$out.sum"
}
