#!/bin/sh
# bench/cases: see run.py (creating and updating cases, SQLite and PostgreSQL, 32 clients).
exec python3 "$(dirname "$0")/run.py" "$@"
