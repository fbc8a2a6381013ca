# Sourced by serve.sh, test.sh, check.sh and lock.sh: makes .venv with Python 3.11+ and installs the given lock
# (requirements.txt, or requirements-dev.txt: each a whole environment, every package pinned with its hashes),
# again only when that file or requirements.txt changed.
requirements="$1"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "error: Python 3.11 or newer is needed as '$python' (set PYTHON=/path/to/python3.11)" >&2
    return 1  # sourced: the caller (set -e in our scripts) stops; an interactive shell stays open
fi
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
# requirements-dev.txt pins the versions requirements.txt locks, so a change to either is a change to the dev lock.
stamp=".venv/.installed-$(cat "$requirements" requirements.txt | sha256sum | cut -c1-16)-$(basename "$requirements")"
if [ ! -f "$stamp" ]; then
    if ! .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"; then
        echo "error: installing $requirements into .venv failed (see pip's message above)" >&2
        return 1
    fi
    touch "$stamp"
fi
# shellcheck disable=SC1091
source .venv/bin/activate
