#!/usr/bin/env python3
"""Dev-only: bitsandbytes oracle fixture for the Swift bitsandbytes 4-bit quantizer.

Not part of the build or the course. Needs Python 3 with torch (CPU build) and bitsandbytes
(0.50.x was used); nothing else, no GPU, no network.

    python3 scripts/dev/gen-bnb-fixtures.py            # writes Tests/QuantizersTests/Fixtures/bnb4bit.json
    python3 scripts/dev/gen-bnb-fixtures.py --check    # only compares against the fixture on disk

It quantizes deterministic inputs (see `weights`, which Tests/QuantizersTests/BnBOracleTests.swift
reproduces exactly) with `bitsandbytes.functional.quantize_4bit(A, blocksize, compress_statistics,
quant_type)` on CPU float32 tensors and records what bitsandbytes stores: the packed uint8 codes, the
FP32 absmax, or with double quantization the uint8 absmax codes (`quant_state.absmax`), the FP32
second-level absmax (`quant_state.state2.absmax`) and the FP32 offset (`quant_state.offset`); plus
the dequantized weights (code[index] × decoded absmax, which is `dequantize_4bit`'s generic path),
the NF4/FP4 code tables (`get_4bit_type`), the dynamic map (`create_dynamic_map(signed=True)`,
`state2.code`) and `int8_vectorwise_quant` (LLM.int8() weights). Small parts are stored as hex,
large ones as SHA-256 of their bytes, so that the fixture stays small (< 100 KB).

Two PyTorch details reach the bytes. The offset is absmax.mean(), a float32 sum whose order
PyTorch fixes per thread: the script sums on one thread (`torch.set_num_threads(1)`; above 32,768
constants PyTorch would split the sum across threads). And the dynamic map comes from
torch.linspace, which PyTorch's AVX2 and AVX-512 builds compute with fused multiply-adds but its
baseline build does not: under ATEN_CPU_CAPABILITY=default the map, and so every double-quantized
case, differs in the last bit. The fixture was written on an AVX-512 machine (recorded in it).
"""

import hashlib
import json
import os
import sys

import numpy as np
import torch

import bitsandbytes
import bitsandbytes.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURE = os.path.join(ROOT, "Tests", "QuantizersTests", "Fixtures", "bnb4bit.json")
HEX_LIMIT = 1024  # parts up to this many bytes are stored whole, larger ones as SHA-256

GOLDEN = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1


def uniform(seed, count):
    """SplitMix64 → float32 in [-1, 1): Float(z >> 40) / 2^24 * 2 - 1, exactly (Tests' `Weights`)."""
    out = np.empty(count, np.float32)
    state = seed
    for i in range(count):
        state = (state + GOLDEN) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        out[i] = np.float32((z ^ (z >> 31)) >> 40)
    return out / np.float32(1 << 24) * np.float32(2) - np.float32(1)


def weights(case):
    """The fixture's inputs, all float32 operations (each rounded once, in this order):
    kind "cubic": w = u·u·u · 2^(r mod 5 − 2) for row r, ×16 at every 61st flat index, and rows
    with r mod 11 = 10 all zero; kind "constant": every weight 0.5."""
    rows, columns = case["rows"], case["columns"]
    if case["kind"] == "constant":
        return np.full(rows * columns, 0.5, np.float32)
    u = uniform(case["seed"], rows * columns)
    w = (u * u) * u
    index = np.arange(rows * columns)
    row = index // columns
    w = w * np.exp2((row % 5) - 2).astype(np.float32)
    w = np.where(index % 61 == 0, w * np.float32(16), w).astype(np.float32)
    w = np.where(row % 11 == 10, np.float32(0), w).astype(np.float32)
    return w.astype(np.float32)


def record(data):
    data = bytes(data)
    entry = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    if len(data) <= HEX_LIMIT:
        entry["hex"] = data.hex()
    return entry


def f32(t):
    return t.detach().cpu().contiguous().numpy().astype("<f4").tobytes()


def quantize_case(case):
    w = weights(case)
    A = torch.from_numpy(w.copy()).reshape(case["rows"], case["columns"])
    packed, state = F.quantize_4bit(A, blocksize=case["blocksize"], compress_statistics=case["doubleQuant"], quant_type=case["quantType"])
    assert packed.dtype == torch.uint8
    parts = [record(packed.flatten().numpy().tobytes())]
    if case["doubleQuant"]:
        assert state.absmax.dtype == torch.uint8 and state.state2.blocksize == 256
        parts += [record(state.absmax.numpy().tobytes()), record(f32(state.state2.absmax)), record(f32(state.offset.reshape(1)))]
        absmax = F.dequantize_blockwise(state.absmax, state.state2) + state.offset
    else:
        parts.append(record(f32(state.absmax)))
        absmax = state.absmax
    # Dequantized weights: bitsandbytes' generic path (code[index] × absmax of the block, float32).
    n = w.size
    indices = torch.empty(packed.numel() * 2, dtype=torch.int64)
    flat = packed.flatten().to(torch.int64)
    indices[0::2], indices[1::2] = flat >> 4, flat & 0xF
    code = F.get_4bit_type(case["quantType"], device="cpu")
    values = code[indices[:n]] * absmax[torch.arange(n) // case["blocksize"]]
    # The native CPU dequantize_4bit, for the report only (it writes −0 for FP4 index 8 and handles
    # partial blocks per row, so it is not the reference).
    native = F.dequantize_4bit(packed, state).flatten()
    native_same = torch.equal(native.view(torch.int32), values.view(torch.int32))
    return {**case, "parts": parts, "values": record(f32(values))}, native_same


CASES = []


def case(rows, columns, blocksize, quant_type, double_quant, seed=1, kind="cubic"):
    CASES.append({"rows": rows, "columns": columns, "blocksize": blocksize, "quantType": quant_type,
                  "doubleQuant": double_quant, "seed": seed, "kind": kind})


for qt in ("nf4", "fp4"):
    for dq in (False, True):
        case(192, 192, 64, qt, dq, seed=11)
case(192, 192, 128, "nf4", True, seed=12)
case(192, 192, 256, "fp4", True, seed=13)
case(192, 192, 128, "fp4", False, seed=14)
case(64, 512, 32, "nf4", True, seed=21)
case(64, 512, 4096, "nf4", True, seed=22)
case(64, 512, 256, "nf4", False, seed=23)
case(64, 512, 64, "fp4", True, seed=24)
case(512, 512, 32, "nf4", True, seed=31)     # 8,192 absmax constants: the sum's full cascade
case(7, 100, 64, "nf4", True, seed=41)       # a partial final block (60 of 64)
case(7, 100, 64, "fp4", False, seed=42)
case(3, 7, 32, "fp4", False, seed=43)        # 21 weights: one partial block, an odd count
case(3, 7, 32, "nf4", True, seed=44)
case(5, 64, 64, "nf4", True, seed=51)        # 5, 7 and 9 constants: PyTorch's scalar and vector sums
case(7, 64, 64, "fp4", True, seed=52)
case(9, 64, 64, "nf4", True, seed=53)
case(11, 24, 32, "nf4", False, seed=61)      # the partial final block is all zero (absmax floor)
case(11, 24, 32, "fp4", True, seed=62)
case(22, 64, 64, "nf4", True, seed=63)       # two zero rows: zero blocks
case(4, 256, 64, "nf4", True, kind="constant")  # equal absmax: the centred constants are all 0


def int8_cases():
    out = []
    for rows, columns, seed in ((48, 96, 71), (16, 256, 72)):
        w = torch.from_numpy(weights({"rows": rows, "columns": columns, "seed": seed, "kind": "cubic"})).reshape(rows, columns)
        codes, stats, _ = F.int8_vectorwise_quant(w.clone())
        out.append({"rows": rows, "columns": columns, "seed": seed, "kind": "cubic",
                    "codes": record(codes.numpy().tobytes()), "rowStats": record(f32(stats))})
    # Ties: x·127/absmax exactly k + 0.5; bitsandbytes rounds half to even.
    ties = torch.tensor([[127.0, 0.5, 1.5, 2.5, -0.5, -2.5, 3.5, 100.5]])
    codes, stats, _ = F.int8_vectorwise_quant(ties.clone())
    out.append({"rows": 1, "columns": 8, "input": [float(x) for x in ties.flatten()],
                "codes": record(codes.numpy().tobytes()), "rowStats": record(f32(stats))})
    return out


def main():
    torch.set_num_threads(1)
    dynamic = F.create_dynamic_map(signed=True)
    results, native_differs = [], []
    for c in CASES:
        r, native_same = quantize_case(c)
        results.append(r)
        if not native_same:
            native_differs.append(f"{c['rows']}x{c['columns']} b{c['blocksize']} {c['quantType']}{' DQ' if c['doubleQuant'] else ''}")
    # state2.code (the dynamic map as quantize_blockwise saw it) from one double-quantized case
    _, state = F.quantize_4bit(torch.ones(64, 64), blocksize=64, compress_statistics=True, quant_type="nf4")
    assert torch.equal(state.state2.code.view(torch.int32), dynamic.view(torch.int32)), "state2.code differs from create_dynamic_map"
    fixture = {
        "generator": "scripts/dev/gen-bnb-fixtures.py",
        "bitsandbytes": bitsandbytes.__version__,
        "torch": torch.__version__,
        "torchCPUCapability": torch.backends.cpu.get_cpu_capability(),
        "tables": {
            "nf4": f32(F.get_4bit_type("nf4", device="cpu")).hex(),
            "fp4": f32(F.get_4bit_type("fp4", device="cpu")).hex(),
            "dynamic": f32(dynamic).hex(),
        },
        "cases": results,
        "int8": int8_cases(),
    }
    text = json.dumps(fixture, indent=1) + "\n"
    if "--check" in sys.argv:
        with open(FIXTURE) as f:
            on_disk = json.load(f)
        differing = [name for name in ("nf4", "fp4", "dynamic") if on_disk["tables"][name] != fixture["tables"][name]]
        differing += [f"case {i} ({c['rows']}x{c['columns']} b{c['blocksize']} {c['quantType']}{' DQ' if c['doubleQuant'] else ''})"
                      for i, (c, d) in enumerate(zip(fixture["cases"], on_disk["cases"])) if c != d]
        differing += ["int8"] if on_disk["int8"] != fixture["int8"] else []
        print("fixture matches" if not differing else "fixture DIFFERS from this bitsandbytes: " + ", ".join(differing))
        return 0 if not differing else 1
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    with open(FIXTURE, "w") as f:
        f.write(text)
    print(f"wrote {FIXTURE}: {len(results)} cases, {len(text)} bytes")
    if native_differs:
        print("native CPU dequantize_4bit differs from code[index] x absmax in:", ", ".join(native_differs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
