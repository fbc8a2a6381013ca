#!/usr/bin/env bash
# Regenerates the locks from the hand-kept lists: requirements.txt from requirements.in, then requirements-dev.txt
# from requirements-dev.in (the service's packages at the versions requirements.txt locks). Every package is pinned
# with the hashes of all its files on PyPI, so `pip install -r` installs exactly these files or fails.
# Arguments go to pip-compile, e.g. `bash scripts/lock.sh --upgrade-package sqlparse` (a package the .in files
# pin is upgraded by editing its pin there).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements-dev.txt

# Resolve against PyPI alone: a machine's own pip configuration (local indexes, find-links, constraints) must
# neither change what is locked nor leave its paths in the locks.
export PIP_CONFIG_FILE=/dev/null
unset PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_FIND_LINKS PIP_CONSTRAINT

export CUSTOM_COMPILE_COMMAND="bash scripts/lock.sh"  # the command each lock's header names
lock() {
    local input="$1" output="$2"
    shift 2
    pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links \
        --output-file "$output" "$input" "$@"
}
lock requirements.in requirements.txt "$@"
lock requirements-dev.in requirements-dev.txt "$@"
