#!/usr/bin/env bash
# The benchmark (bench/README.md): bash bench/run.sh [--database sqlite|postgres] [--duration 10] [--conns 16]
#                                                    [--endpoints p1,plist,o1,olist,post] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt
if ! command -v wrk >/dev/null; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
    $sudo apt-get update -qq && $sudo apt-get install -y -qq wrk
fi
exec python bench/run.py "$@"
