#!/usr/bin/env bash
# Development only: coverage-guided fuzzing (libFuzzer, AddressSanitizer) of QuantLab's parsers of
# untrusted text. Target today: toml (TOMLDocument: settings files, exercise specs, front matter and
# quiz blocks). Builds into .build-fuzz, keeps its corpus in .build-fuzz/corpus-TARGET (seeded
# from the course's .toml files), and writes any crashing input as .build-fuzz/crash-*.
#
#     bash scripts/dev/fuzz.sh toml 600        # fuzz for 600 s
#     .build/debug/quantlab-fuzz FILE…         # replay inputs through the same function (plain build)
#
# SwiftPM links executables with `--defsym main=<module>_main`, which clashes with libFuzzer's own
# main; so SwiftPM compiles the objects and this script links them itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${1:-toml}
seconds=${2:-60}
[ "$target" = toml ] || { echo "fuzz.sh: unknown target $target (known: toml)" >&2; exit 64; }
scratch=.build-fuzz
flags=(-c release --scratch-path "$scratch" --product quantlab-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING
       -Xswiftc -parse-as-library -Xcc -fsanitize=fuzzer-no-link,address -Xcxx -fsanitize=fuzzer-no-link,address)
# The link step fails by design (see above); the objects are what is needed.
swift build "${flags[@]}" >"$scratch.log" 2>&1 || true
bin="$scratch/x86_64-unknown-linux-gnu/release"
swiftc -sanitize=fuzzer,address -o "$bin/quantlab-fuzz-libfuzzer" @"$bin/quantlab-fuzz.product/Objects.LinkFileList" -lcmark -lstdc++
corpus="$scratch/corpus-$target"
mkdir -p "$corpus"
# Seeds: every .toml file of the course, named by its path (many are called starter.toml).
find exercises lessons -name '*.toml' | while read -r f; do cp "$f" "$corpus/seed-${f//\//_}"; done
# FUZZ_LEAKS=0 turns leak detection off (it was needed while TOMLKit 0.6.0, which leaked on every
# parse, read the TOML).
"$bin/quantlab-fuzz-libfuzzer" "$corpus" -max_total_time="$seconds" -timeout=1 -rss_limit_mb=2048 \
    -detect_leaks="${FUZZ_LEAKS:-1}" -artifact_prefix="$scratch/" -print_final_stats=1
