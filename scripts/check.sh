#!/usr/bin/env bash
# Static checks: ruff (lint, and the format check), mypy, and the web client's own checks
# (`npm run check` in web/: tsc, eslint, vitest). Every check runs, then the script fails if any
# did, so one run lists everything to fix. scripts/test.sh runs this before the tests.
#
#   bash scripts/check.sh            install what is needed (scripts/bootstrap.sh --dev), then check
#   MEDVERSE_BOOTSTRAPPED=1 ...      skip the install step (scripts/test.sh has just done it)
#
# Fix what ruff can fix with `.venv/bin/ruff check --fix` and `.venv/bin/ruff format` (versions
# pinned in constraints.txt; configuration in pyproject.toml).
set -uo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[medverse]\033[0m %s\n' "$*"; }

if [ "${MEDVERSE_BOOTSTRAPPED:-0}" != 1 ]; then
  bash scripts/bootstrap.sh --dev || exit 1
fi

failed=()
check() {
  local name=$1
  shift
  say "check: $name"
  if ! "$@"; then
    failed+=("$name")
  fi
}

PY_PATHS=(src tests benchmarks)
check "ruff check" .venv/bin/ruff check "${PY_PATHS[@]}"
check "ruff format --check" .venv/bin/ruff format --check "${PY_PATHS[@]}"
check "mypy src" .venv/bin/mypy src

web_script() {  # is there an npm script named $1 in web/package.json?
  .venv/bin/python -c 'import json, sys; sys.exit(0 if sys.argv[1] in json.load(open("web/package.json")).get("scripts", {}) else 1)' "$1"
}

if [ ! -f web/package.json ]; then
  say "check: no web/package.json, the web client's checks are skipped"
elif ! command -v npm >/dev/null 2>&1; then
  say "check: npm is missing (scripts/bootstrap.sh installs it as root), the web client's checks cannot run"
  failed+=("web (npm missing)")
elif web_script check; then
  check "web: npm run check (tsc, eslint, vitest)" bash -c 'cd web && npm run --silent check'
else
  say "check: web/package.json has no 'check' script; running what it has (typecheck, lint) instead"
  web_script typecheck && check "web: npm run typecheck" bash -c 'cd web && npm run --silent typecheck'
  web_script lint && check "web: npm run lint" bash -c 'cd web && npm run --silent lint'
fi

if [ ${#failed[@]} -gt 0 ]; then
  say "checks failed: $(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')"
  exit 1
fi
say "checks passed"
