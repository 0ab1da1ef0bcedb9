#!/bin/sh
# Runs every benchmark; each prints a Markdown table to paste into BENCHMARKS.md.
set -eu
cd "$(dirname "$0")"
for b in */run.sh; do
    echo "## $(dirname "$b")"
    "./$b"
    echo
done
