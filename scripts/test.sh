#!/usr/bin/env bash
# The whole test suite: install what is needed (venv, npm, chromium), make sure the local
# PostgreSQL and Redis are up when this machine has them, then run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --dev --browser

# Local services used by the PostgreSQL / Redis tests (each test run makes its own database and
# key prefix). Where a service is not installed, those tests skip with the reason.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! pg_isready -q -h 127.0.0.1 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if command -v redis-server >/dev/null 2>&1 && ! (redis-cli -h 127.0.0.1 ping >/dev/null 2>&1); then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no || true
fi

exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
