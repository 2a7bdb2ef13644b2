#!/usr/bin/env bash
# The whole test suite: install what is needed (venv, npm, chromium), run the static checks
# (scripts/check.sh), make sure the local PostgreSQL and Redis are up when this machine has them,
# then run pytest. Extra arguments go to pytest.
#
#   bash scripts/test.sh                 checks, then every test (what CI runs)
#   bash scripts/test.sh --fast          no checks, server processes, browsers, PostgreSQL, Redis
#                                        or sample data: the unit and in-process tests (docs/testing.md)
#   MEDVERSE_SKIP_CHECKS=1 bash scripts/test.sh ...   every test without the static checks
#
# The checks and the tests both run; the script fails if either did.
set -euo pipefail
cd "$(dirname "$0")/.."

FAST=0
ARGS=()
for arg in "$@"; do
  case "$arg" in
    --fast) FAST=1 ;;
    *) ARGS+=("$arg") ;;
  esac
done
PYTEST=(.venv/bin/python -m pytest -q -p no:cacheprovider)
# Keep compiled bytecode between runs (__pycache__ is ignored by git): without it every run
# compiles every module again, and pytest rewrites every test module's asserts again (~10 s).
unset PYTHONDONTWRITEBYTECODE

if [ "$FAST" = 1 ]; then
  # the fast loop needs no web build: bootstrap only when the Python packages are not up to date
  WANT="$( { cat pyproject.toml; cat constraints.txt 2>/dev/null || true; } | sha256sum | cut -c1-16)-all,dev"
  if ! grep -qx -- "$WANT" .venv/.medverse-installed 2>/dev/null; then
    bash scripts/bootstrap.sh --dev
  fi
  # a -m given after --fast replaces this selection (pytest keeps the last -m)
  exec "${PYTEST[@]}" -m "not browser and not slow and not postgres and not redis and not samples" "${ARGS[@]}"
fi

bash scripts/bootstrap.sh --dev --browser

CHECKS=0
if [ "${MEDVERSE_SKIP_CHECKS:-0}" != 1 ]; then
  MEDVERSE_BOOTSTRAPPED=1 bash scripts/check.sh || CHECKS=$?
fi

# Local services used by the PostgreSQL / Redis tests (each test run makes its own database and
# key prefix). Where a service is not installed, those tests skip with the reason.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if command -v redis-server >/dev/null 2>&1 && ! (redis-cli -h 127.0.0.1 ping >/dev/null 2>&1); then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
fi

TESTS=0
"${PYTEST[@]}" "${ARGS[@]}" || TESTS=$?
if [ "$CHECKS" != 0 ]; then
  printf '\033[1m[medverse]\033[0m %s\n' "the static checks failed (see the top of this output: bash scripts/check.sh)"
fi
if [ "$TESTS" != 0 ]; then exit "$TESTS"; fi
exit "$CHECKS"
