#!/usr/bin/env python3
"""CI check (development-only Python): the numbers the lessons quote as "measured by QuantLab on its
reference model" must be what the engine prints today. Run with a release build of quantlab
(debug builds are ~170x slower on the model path):

    check-lesson-numbers.py path/to/release/quantlab

It converts the reference model to each type, runs `quantlab eval --json` (against the F32 base for
the quantized files) and looks for the exact figures, formatted as the lessons print them, in the
lesson files. Exits 1 naming the lesson and the figure on the first mismatch.
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
REFERENCE = os.path.join(ROOT, "exercises", "reference", "storyteller-2m-f32.gguf")


def fail(message):
    print(f"check-lesson-numbers: {message}", file=sys.stderr)
    sys.exit(1)


def lesson(name):
    with open(os.path.join(ROOT, "lessons", name), encoding="utf-8") as f:
        return f.read()


# With --all (what scripts/dev/regenerate.sh passes), every moved figure is listed before exiting 1.
LIST_ALL = False
MOVED = []


def expect(name, text, *variants):
    """At least one spelling of the figure must appear (e.g. "±" or llama.cpp's "+/-")."""
    if not any(v in text for v in variants):
        message = f"lessons/{name} should quote {variants[0]!r} (what the engine prints now); update the lesson"
        if not LIST_ALL:
            fail(message)
        MOVED.append(message)


def run(binary, *args, env=None):
    result = subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        fail(f"quantlab {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


def main():
    global LIST_ALL
    args = sys.argv[1:]
    if args and args[0] == "--all":
        LIST_ALL = True
        args = args[1:]
    if len(args) != 1:
        fail("usage: check-lesson-numbers.py [--all] QUANTLAB")
    binary = os.path.abspath(args[0])
    env = dict(os.environ)
    with tempfile.TemporaryDirectory() as scratch:
        env["QUANTLAB_CACHE"] = os.path.join(scratch, "cache")
        base = json.loads(run(binary, "eval", "--json", env=env))
        ppl = f"{base['perplexity']:.4f} ± {base['perplexityError']:.5f}"
        printed = f"PPL = {base['perplexity']:.4f} +/- {base['perplexityError']:.5f}"
        for name in ("01-why-quantize.md", "05-awq.md", "06-gguf-llama-cpp.md"):
            expect(name, lesson(name), ppl, printed)
        for name in ("03-bitsandbytes.md", "04-gptq.md"):
            expect(name, lesson(name), f"{base['perplexity']:.4f}")
        expect("06-gguf-llama-cpp.md", lesson("06-gguf-llama-cpp.md"), f"{base['scoredTokens']:,}")
        gguf = lesson("06-gguf-llama-cpp.md")
        expect("06-gguf-llama-cpp.md", gguf, f"F32 (base) | {os.path.getsize(REFERENCE):,} | {base['perplexity']:.4f} |")
        rows = 0
        for kind in ("f16", "q8_0", "q5_1", "q5_0", "q4_1", "q4_0"):
            path = os.path.join(scratch, f"reference-{kind}.gguf")
            run(binary, "model", "convert", "--type", kind, "-o", path)
            report = json.loads(run(binary, "eval", "--json", "--model", path, "--base", REFERENCE, env=env))
            d = report["divergence"]
            size = os.path.getsize(path)
            if kind == "f16":
                for name in ("01-why-quantize.md", "06-gguf-llama-cpp.md"):
                    text = lesson(name)
                    expect(name, text, f"{size:,}")
                    expect(name, text, f"{d['perplexityRatio']:.6f}")
                    expect(name, text, f"{d['maxKLD']:.6f}")
                    expect(name, text, f"{d['rmsDeltaP'] * 100:.3f}%")
                continue
            if kind == "q4_0":
                alone = json.loads(run(binary, "eval", "--json", "--model", path, env=env))
                expect("06-gguf-llama-cpp.md", gguf, f"QuantLab prints {alone['perplexity']:.4f} ± {alone['perplexityError']:.5f}")
            if kind == "q8_0":
                expect("06-gguf-llama-cpp.md", gguf, f"`Q8_0` has a mean KLD of {d['meanKLD']:.6f}")
            row = (f"`{kind.upper()}` | {size:,} | {d['perplexity']:.4f} | {d['meanKLD']:.6f} | "
                   f"{d['sameTopRate'] * 100:.2f}%")
            expect("06-gguf-llama-cpp.md", gguf, row)
            rows += 1
        settings_rows = 0
        for lesson_name, label, toml in SETTINGS_ROWS:
            path = os.path.join(scratch, "settings.toml")
            with open(path, "w") as f:
                f.write(toml)
            report = json.loads(run(binary, "eval", "--json", "--settings", path, env=env))
            d = report["divergence"]
            blocks = report["quantizedBytes"] - KEPT_BYTES
            row = (f"{label} | {blocks:,} | {d['perplexity']:.4f} | {d['meanKLD']:.6f} | {d['sameTopRate'] * 100:.2f}%")
            if report.get("outlierColumnFraction") is not None:
                row += f" | {report['outlierColumnFraction'] * 100:.2f}%"
            expect(lesson_name, lesson(lesson_name), row)
            if report.get("outlierColumnFraction") is not None:
                expect(lesson_name, lesson(lesson_name), f"{report['outlierColumnFraction'] * 100:.2f}% of the input columns crossed")
            settings_rows += 1
    if MOVED:
        for message in MOVED:
            print(f"check-lesson-numbers: {message}", file=sys.stderr)
        sys.exit(1)
    print(f"check-lesson-numbers: base PPL {ppl}, F16, {rows} quantized rows and {settings_rows} settings rows match the lessons")


# Rows of the lessons' settings tables: (lesson, first cell, settings file). The block matrices'
# bytes are the report's total minus what every recipe keeps: embedding and output in F32
# (2 × 786,432 bytes) and the 9 norms (9 × 768 bytes).
KEPT_BYTES = 2 * 786_432 + 9 * 768
SETTINGS_ROWS = [
    ("02-int8-int4-basics.md", "8-bit, per channel", 'method = "rtn"\nbits = 8\ngranularity = "channel"\n'),
    ("02-int8-int4-basics.md", "4-bit, groups of 64", 'method = "rtn"\nbits = 4\ngranularity = "group"\ngroup_size = 64\n'),
    ("02-int8-int4-basics.md", "3-bit, groups of 64", 'method = "rtn"\nbits = 3\ngranularity = "group"\ngroup_size = 64\n'),
    ("02-int8-int4-basics.md", "3-bit, groups of 64, clip search",
     'method = "rtn"\nbits = 3\ngranularity = "group"\ngroup_size = 64\nclip_search = true\n'),
    ("03-bitsandbytes.md", "NF4", 'method = "bnb_4bit"\nquant_type = "nf4"\n'),
    ("03-bitsandbytes.md", "NF4 + double quantization", 'method = "bnb_4bit"\nquant_type = "nf4"\ndouble_quant = true\n'),
    ("03-bitsandbytes.md", "FP4", 'method = "bnb_4bit"\nquant_type = "fp4"\n'),
    ("03-bitsandbytes.md", "LLM.int8(), threshold 6.0", 'method = "bnb_int8"\n'),
    ("04-gptq.md", "RTN 4-bit g64", 'method = "rtn"\nbits = 4\ngroup_size = 64\n'),
    ("04-gptq.md", "GPTQ 4-bit g64", 'method = "gptq"\nbits = 4\ngroup_size = 64\n'),
    ("04-gptq.md", "RTN 3-bit g64", 'method = "rtn"\nbits = 3\ngroup_size = 64\n'),
    ("04-gptq.md", "GPTQ 3-bit g64", 'method = "gptq"\nbits = 3\ngroup_size = 64\n'),
    ("05-awq.md", "RTN 4-bit g64, zero point", 'method = "rtn"\nbits = 4\ngroup_size = 64\nsymmetric = false\n'),
    ("05-awq.md", "AWQ 4-bit g64", 'method = "awq"\nw_bit = 4\nq_group_size = 64\n'),
    ("05-awq.md", "RTN 3-bit g64, zero point", 'method = "rtn"\nbits = 3\ngroup_size = 64\nsymmetric = false\n'),
    ("05-awq.md", "AWQ 3-bit g64", 'method = "awq"\nw_bit = 3\nq_group_size = 64\n'),
]


if __name__ == "__main__":
    main()
