#!/usr/bin/env bash
# Installs what medverse needs on this machine, idempotently:
#   - a virtual environment in .venv with the package and its extras (pinned by constraints.txt)
#   - the web client built into src/medverse/web_dist (npm ci + vite build)
#   - with --browser: Debian's chromium for the Playwright tests (when running as root)
# Re-running is cheap: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WANT_BROWSER=0
EXTRAS="all"
for arg in "$@"; do
  case "$arg" in
    --browser) WANT_BROWSER=1 ;;
    --dev) EXTRAS="all,dev" ;;
  esac
done

say() { printf '\033[1m[medverse]\033[0m %s\n' "$*"; }

apt_install() {
  if [ "$(id -u)" != "0" ]; then
    say "missing system packages: $* (run as root or install them with apt-get)"; return 1
  fi
  if [ ! -f /var/lib/apt/periodic/medverse-updated ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock)" ]; then
    apt-get update -qq && mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/medverse-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# --- Python ---------------------------------------------------------------
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
  say "Python >= 3.11 is required (found: $("$PY" --version 2>&1))"; exit 1
fi
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then apt_install python3-venv; fi
if [ ! -x .venv/bin/python ]; then
  say "creating virtual environment in .venv"
  "$PY" -m venv .venv
fi
STAMP=.venv/.medverse-installed
WANT="$( { cat pyproject.toml; cat constraints.txt 2>/dev/null || true; } | sha256sum | cut -c1-16)-$EXTRAS"
if [ ! -f "$STAMP" ] || ! grep -qx -- "$WANT" "$STAMP" 2>/dev/null; then
  say "installing Python packages (.[$EXTRAS])"
  .venv/bin/python -m pip install -q --upgrade pip
  CONSTRAINT=()
  [ -f constraints.txt ] && CONSTRAINT=(-c constraints.txt)
  .venv/bin/python -m pip install -q "${CONSTRAINT[@]}" -e ".[$EXTRAS]"
  echo "$WANT" >> "$STAMP"
fi

# --- web client -------------------------------------------------------------
if [ -f web/package.json ]; then
  if ! command -v npm >/dev/null 2>&1; then apt_install nodejs npm; fi
  WEBSTAMP=web/node_modules/.medverse-installed
  WEBWANT=$( { cat web/package.json; cat web/package-lock.json 2>/dev/null || true; } | sha256sum | cut -c1-16)
  if [ ! -f "$WEBSTAMP" ] || [ "$(cat "$WEBSTAMP")" != "$WEBWANT" ]; then
    say "installing web client packages (npm ci)"
    (cd web && npm ci --no-audit --no-fund --loglevel=error)
    echo "$WEBWANT" > "$WEBSTAMP"
  fi
  SRCHASH=$(find web/src web/index.html web/vite.config.ts web/tsconfig.json -type f 2>/dev/null | sort | xargs cat | sha256sum | cut -c1-16)
  if [ ! -f src/medverse/web_dist/.built ] || [ "$(cat src/medverse/web_dist/.built)" != "$SRCHASH" ]; then
    say "building web client"
    (cd web && npm run --silent build)
    echo "$SRCHASH" > src/medverse/web_dist/.built
  fi
fi

# --- browser for the Playwright tests ----------------------------------------
if [ "$WANT_BROWSER" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  say "installing Debian's chromium for the browser tests"
  apt_install chromium || say "chromium not installed: browser tests will be skipped"
fi
