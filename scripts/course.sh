#!/usr/bin/env bash
# Quick start, part 1: install what is needed, build quantlab in release, start the course.
# Arguments are passed to quantlab, e.g. `bash scripts/course.sh read 1`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product quantlab >&2
exec .build/release/quantlab "$@"
