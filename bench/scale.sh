#!/usr/bin/env bash
# The data-scale benchmark (bench/README.md): bash bench/scale.sh [--reuse] [--keep] [--repeat 15] [--only TEXT]
#                                                                 [--orders 1000000] [--small-orders 5000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt >/dev/null
exec python bench/scale.py "$@"
