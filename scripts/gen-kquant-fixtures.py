#!/usr/bin/env python3
"""Development only: writes Tests/QuantCoreTests/Fixtures/quantize/kquants.json from real
llama.cpp. gguf-py has no K-quant quantizer, so the oracle is llama.cpp's own llama-quantize
(build it from a llama.cpp checkout; it is never committed or run by CI):

    LLAMA_QUANTIZE=/path/to/llama-quantize python3 scripts/gen-kquant-fixtures.py

For Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and IQ4_NL (`--pure`, no importance matrix) it records the bytes of the first 32 rows
of blk.0.ffn_down.weight of the reference model (rows of 512 values: 64 super-blocks), and for the
Q3_K_M, Q4_K_M and Q5_K_M mixtures the type llama-quantize chose for every tensor.
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
OUT = os.path.join(ROOT, "Tests", "QuantCoreTests", "Fixtures", "quantize", "kquants.json")
TENSOR, ROWS = "blk.0.ffn_down.weight", 32


def quantize(tool, kind, pure, scratch):
    out = os.path.join(scratch, kind + ".gguf")
    args = [tool] + (["--pure"] if pure else []) + [MODEL, out, kind]
    subprocess.run(args, check=True, capture_output=True)
    return GGUFReader(out)


def main():
    tool = os.environ.get("LLAMA_QUANTIZE")
    if not tool:
        sys.exit("set LLAMA_QUANTIZE to a llama-quantize binary")
    fixture = {"oracle": "llama.cpp llama-quantize (no imatrix)", "tensor": TENSOR, "rows": ROWS, "bytes_hex": {}, "mixtures": {}}
    with tempfile.TemporaryDirectory() as scratch:
        for kind in ("Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL"):
            reader = quantize(tool, kind, True, scratch)
            tensor = next(t for t in reader.tensors if t.name == TENSOR)
            raw = np.asarray(tensor.data).tobytes()
            fixture["bytes_hex"][kind] = raw[: len(raw) * ROWS // int(tensor.shape[1])].hex()
        for kind in ("Q3_K_M", "Q4_K_M", "Q5_K_M"):
            reader = quantize(tool, kind, False, scratch)
            fixture["mixtures"][kind] = {t.name: t.tensor_type.name for t in reader.tensors}
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=0, sort_keys=True)
        f.write("\n")
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
