#!/usr/bin/env bash
# Quick start, part 2: install what is needed and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build
