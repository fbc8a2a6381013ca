#!/usr/bin/env bash
# Run the service for development: install, migrate, seed an empty database, serve on :5001, reload on change.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh requirements.txt
python manage.py migrate --noinput
python manage.py seed_if_empty
exec python manage.py runserver "$@"
