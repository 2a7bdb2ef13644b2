#!/usr/bin/env bash
# The main job: install what is needed, then start the medverse server with a demo site
# on embedded defaults (SQLite under ./data, no other services) at http://localhost:8000
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/medverse serve --demo "$@"
