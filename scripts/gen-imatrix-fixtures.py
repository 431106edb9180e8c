#!/usr/bin/env python3
"""Development only: writes Tests/QuantCoreTests/Fixtures/quantize/imatrix.json from real llama.cpp.

An importance matrix is collected by QuantLab (`quantlab imatrix --ctx 64 --chunks 2` on the
reference calibration text: small enough for debug-build tests to recompute), handed to
llama.cpp's own llama-quantize (`--pure --imatrix`), and the bytes it writes for the first 32 rows
of blk.0.attn_q.weight and blk.0.ffn_down.weight are recorded for Q4_0, Q4_1, Q5_0, Q5_1 and IQ4_NL,
and for Q2_K, Q3_K, Q4_K, Q5_K and Q6_K ffn_down only (their 256-value blocks do not fit attn_q's
192-value rows).

    QUANTLAB=.build/release/quantlab LLAMA_QUANTIZE=/path/to/llama-quantize python3 scripts/gen-imatrix-fixtures.py
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from gguf import GGUFReader

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
MODEL = os.path.join(ROOT, "exercises", "reference", "storyteller-2m-f32.gguf")
OUT = os.path.join(ROOT, "Tests", "QuantCoreTests", "Fixtures", "quantize", "imatrix.json")
TENSORS, ROWS = ("blk.0.attn_q.weight", "blk.0.ffn_down.weight"), 32


def main():
    quantlab, tool = os.environ.get("QUANTLAB"), os.environ.get("LLAMA_QUANTIZE")
    if not quantlab or not tool:
        sys.exit("set QUANTLAB and LLAMA_QUANTIZE")
    fixture = {"oracle": "llama.cpp llama-quantize --pure --imatrix (imatrix from quantlab imatrix --ctx 64 --chunks 2)",
               "ctx": 64, "chunks": 2, "rows": ROWS, "bytes_hex": {}}
    with tempfile.TemporaryDirectory() as scratch:
        imatrix = os.path.join(scratch, "imatrix.gguf")
        subprocess.run([quantlab, "imatrix", "--course", ROOT, "--ctx", "64", "--chunks", "2", "-o", imatrix], check=True, capture_output=True)
        for kind in ("Q4_0", "Q4_1", "Q5_0", "Q5_1", "IQ4_NL", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"):
            out = os.path.join(scratch, kind + ".gguf")
            subprocess.run([tool, "--pure", "--imatrix", imatrix, MODEL, out, kind], check=True, capture_output=True)
            tensors = {t.name: t for t in GGUFReader(out).tensors}
            # The K types need rows that are a multiple of 256: only ffn_down (512) keeps them.
            for name in (TENSORS[1:] if kind.endswith("_K") else TENSORS):
                raw = np.asarray(tensors[name].data).tobytes()
                fixture["bytes_hex"][f"{kind}/{name}"] = raw[: len(raw) * ROWS // int(tensors[name].shape[1])].hex()
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=0, sort_keys=True)
        f.write("\n")
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
