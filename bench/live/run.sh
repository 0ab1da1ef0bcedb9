#!/bin/sh
# bench/live: see run.py (live-state reads, idle event streams, change-to-event latency).
exec python3 "$(dirname "$0")/run.py" "$@"
