#!/usr/bin/env bash
# Quick start, part 2: install what is needed and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build

# llama.cpp's own GGUF reader (the PyPI package gguf, a development-only test oracle) must read
# the reference model and a file written by QuantLab's GGUF writer.
python3 -m pip install --quiet --disable-pip-version-check 'gguf==0.19.0'
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
quantlab="$(swift build --show-bin-path)/quantlab"
for type in f16 q8_0 q4_0 q4_1 q5_0 q5_1 q4_k_m q5_k_m; do
    "$quantlab" model convert --course . --type "$type" -o "$scratch/reference-$type.gguf"
done
python3 scripts/check-gguf-py.py exercises/reference/storyteller-2m-f32.gguf "$scratch/reference-f16.gguf" \
    "$scratch"/reference-q*.gguf

# The figures the lessons quote as measured by QuantLab on its reference model must be what the
# engine prints today (a release build: the model path runs ~170x slower in debug).
swift build -c release --product quantlab
python3 scripts/check-lesson-numbers.py "$(swift build -c release --show-bin-path)/quantlab"

# Every exercise's starter must fail its rubric and its solution pass (check-course runs them; in
# release, since each run quantizes and evaluates the reference model).
QUANTLAB_CACHE="$scratch/exercise-cache" QUANTLAB_HOME="$scratch/home" "$(swift build -c release --show-bin-path)/quantlab" check-course --course .
