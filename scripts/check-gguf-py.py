#!/usr/bin/env python3
"""CI check (development-only Python): llama.cpp's own GGUF reader, the PyPI package `gguf`
(gguf-py), must read the reference model and a file QuantLab's GGUF writer produced.

Usage: check-gguf-py.py REFERENCE.gguf CONVERTED-F16.gguf [QUANTIZED.gguf ...]
Every QUANTIZED file (written by `quantlab model convert --type q8_0|q4_0|q4_1|q5_0|q5_1`) must hold,
for each weight matrix, exactly the bytes gguf-py's own quantizer (its numpy port of ggml's
reference quantizers) produces from the reference model's F32 weights.
Exits 1 with a message on the first mismatch.
"""
import sys

import numpy as np
from gguf import GGUFReader, GGMLQuantizationType, quants


def fail(message):
    print(f"check-gguf-py: {message}", file=sys.stderr)
    sys.exit(1)


def field(reader, key):
    f = reader.fields.get(key)
    if f is None:
        fail(f"{key} missing")
    return f.contents()


def check_quantized(reference, path):
    quantized = GGUFReader(path)
    if any(t.tensor_type.name.endswith("_K") for t in quantized.tensors):
        return check_kquant_export(reference, quantized, path)
    ref_tensors = {t.name: t for t in reference.tensors}
    checked = 0
    for tensor in quantized.tensors:
        ref = ref_tensors.get(tensor.name)
        if ref is None:
            fail(f"{path}: unexpected tensor {tensor.name}")
        if len(ref.shape) < 2:
            if tensor.tensor_type != GGMLQuantizationType.F32:
                fail(f"{path}: {tensor.name} should stay F32")
            continue
        weights = np.asarray(ref.data, dtype=np.float32)
        expected = quants.quantize(weights, tensor.tensor_type)
        if expected.tobytes() != np.asarray(tensor.data).tobytes():
            fail(f"{path}: {tensor.name} ({tensor.tensor_type.name}) bytes differ from gguf-py's quantizer")
        checked += 1
    print(f"check-gguf-py: {path}: {checked} weight matrices byte-identical to gguf-py's quantizer")


def check_kquant_export(reference, quantized, path):
    """gguf-py has no K-quant quantizer: check it reads the file, with the reference's names and
    shapes, and that its own dequantizer gives values close to the F32 weights."""
    ref_tensors = {t.name: t for t in reference.tensors}
    types = set()
    for tensor in quantized.tensors:
        ref = ref_tensors[tensor.name]
        if list(tensor.shape) != list(ref.shape):
            fail(f"{path}: {tensor.name} shape {list(tensor.shape)} != {list(ref.shape)}")
        restored = quants.dequantize(tensor.data, tensor.tensor_type).reshape(-1)
        original = np.asarray(ref.data, dtype=np.float32).reshape(-1)
        error = np.sqrt(np.sum((restored - original) ** 2) / max(np.sum(original ** 2), 1e-30))
        if not np.isfinite(error) or error > 0.15:
            fail(f"{path}: {tensor.name} ({tensor.tensor_type.name}) decodes with relative RMS error {error:.3f}")
        types.add(tensor.tensor_type.name)
    print(f"check-gguf-py: {path}: read by gguf-py ({', '.join(sorted(types))}), every tensor decodes close to F32")


def main():
    if len(sys.argv) < 3:
        fail("usage: check-gguf-py.py REFERENCE.gguf CONVERTED-F16.gguf [QUANTIZED.gguf ...]")
    reference = GGUFReader(sys.argv[1])
    converted = GGUFReader(sys.argv[2])
    for name, reader in (("reference", reference), ("converted", converted)):
        if field(reader, "general.architecture") != "llama":
            fail(f"{name}: general.architecture is not llama")
        for key in ("llama.block_count", "llama.embedding_length", "llama.context_length",
                    "tokenizer.ggml.model", "tokenizer.ggml.tokens", "tokenizer.ggml.merges"):
            field(reader, key)
    if field(converted, "general.file_type") != 1:
        fail("converted: general.file_type is not 1 (MOSTLY_F16)")
    for key in reference.fields:
        if key.startswith("GGUF.") or key == "general.file_type":
            continue
        if key not in converted.fields:
            fail(f"converted: metadata key {key} was lost")
        if reference.fields[key].contents() != converted.fields[key].contents():
            fail(f"converted: metadata key {key} differs")
    ref_tensors = {t.name: t for t in reference.tensors}
    conv_tensors = {t.name: t for t in converted.tensors}
    if set(ref_tensors) != set(conv_tensors):
        fail(f"tensor names differ: {sorted(set(ref_tensors) ^ set(conv_tensors))}")
    for name, ref in ref_tensors.items():
        conv = conv_tensors[name]
        if list(ref.shape) != list(conv.shape):
            fail(f"{name}: shape {list(conv.shape)} != {list(ref.shape)}")
        expected_type = GGMLQuantizationType.F16 if len(ref.shape) >= 2 else GGMLQuantizationType.F32
        if conv.tensor_type != expected_type:
            fail(f"{name}: type {conv.tensor_type.name}, expected {expected_type.name}")
        want = np.asarray(ref.data, dtype=np.float32).astype(np.float16 if expected_type == GGMLQuantizationType.F16 else np.float32)
        got = np.asarray(conv.data)
        if got.dtype != want.dtype or not np.array_equal(got.view(np.uint8), want.view(np.uint8)):
            fail(f"{name}: data differs from numpy's own conversion")
    print(f"check-gguf-py: gguf-py read both files; {len(ref_tensors)} tensors and "
          f"{len(reference.fields)} fields agree (F16 bits identical to numpy's rounding)")
    for path in sys.argv[3:]:
        check_quantized(reference, path)


if __name__ == "__main__":
    main()
