#!/usr/bin/env python3
"""Development only: writes Tests/QuantizersTests/Fixtures/gptq.json, the codes AutoGPTQ's GPTQ gives
and the bytes its QuantLinear.pack (qlinear_cuda_old, checkpoint format v1) stores.

An oracle for Sources/Quantizers/GPTQ.swift: AutoGPTQ's `GPTQ.fasterquant` and
`Quantizer.find_params` (per channel, weight=True, no MSE search), transcribed to plain torch on
the CPU in float32 as AutoGPTQ runs them, with the integer codes kept alongside the dequantized
weights. Two departures: act-order sorts with a stable argsort (torch's default leaves ties
unordered; GPTQ.swift documents the same choice), and the codes are taken before dequantization
(AutoGPTQ's pack recomputes them from the dequantized weights and FP16 scales; the script checks
that they agree).

Inputs are drawn, not stored: the weights and calibration inputs come from the SplitMix64
generator the Swift tests use (`Weights`), the inputs are small integers so that H = X Xᵀ is exact
in float32 and float64 alike. The script also reports how many codes a float64 run changes.

    python3 scripts/dev/gen-gptq-fixture.py   # needs torch (CPU)
"""
import json
import os
import sys
import torch


def find_params(x, bits, sym):
    maxq = torch.tensor(2 ** bits - 1)
    tmp = torch.zeros(x.shape[0], dtype=x.dtype)
    xmin = torch.minimum(x.min(1)[0], tmp)
    xmax = torch.maximum(x.max(1)[0], tmp)
    if sym:
        xmax = torch.maximum(torch.abs(xmin), xmax)
        t = xmin < 0
        if torch.any(t):
            xmin[t] = -xmax[t]
    t = (xmin == 0) & (xmax == 0)
    xmin[t] = -1
    xmax[t] = +1
    scale = (xmax - xmin) / maxq
    if sym:
        zero = torch.full_like(scale, (maxq + 1) / 2)
    else:
        zero = torch.round(-xmin / scale)
    return scale.reshape(-1, 1), zero.reshape(-1, 1), maxq


def quantize_int(x, scale, zero, maxq):
    return torch.clamp(torch.round(x / scale) + zero, 0, maxq)


def fasterquant(W, H, bits=4, group_size=-1, actorder=False, static_groups=False, sym=True,
                percdamp=0.01, blocksize=128, dtype=torch.float32, stable=True):
    W = W.clone().to(dtype)
    H = H.clone().to(dtype)
    rows, columns = W.shape
    scale0, zero0, maxq = find_params(W, bits, sym)
    cur = (scale0, zero0)
    dead = torch.diag(H) == 0
    H[dead, dead] = 1
    W[:, dead] = 0
    scales, zeros, groups = [], [], []
    now_idx = 1
    if static_groups:
        for i in range(0, columns, group_size):
            groups.append(find_params(W[:, i:i + group_size], bits, sym)[:2])
            scales.append(groups[-1][0]); zeros.append(groups[-1][1])
    perm = None
    if actorder:
        perm = torch.argsort(torch.diag(H), descending=True, stable=stable)
        W = W[:, perm]
        H = H[perm][:, perm]
        invperm = torch.argsort(perm)
    Losses = torch.zeros_like(W)
    Q = torch.zeros_like(W)
    Qint = torch.zeros_like(W)
    damp = percdamp * torch.mean(torch.diag(H))
    diag = torch.arange(columns)
    H[diag, diag] += damp
    H = torch.linalg.cholesky(H)
    H = torch.cholesky_inverse(H)
    H = torch.linalg.cholesky(H, upper=True)
    Hinv = H
    for i1 in range(0, columns, blocksize):
        i2 = min(i1 + blocksize, columns)
        count = i2 - i1
        W1 = W[:, i1:i2].clone()
        Q1 = torch.zeros_like(W1); I1 = torch.zeros_like(W1)
        Err1 = torch.zeros_like(W1)
        Losses1 = torch.zeros_like(W1)
        Hinv1 = Hinv[i1:i2, i1:i2]
        for i in range(count):
            w = W1[:, i]
            d = Hinv1[i, i]
            if group_size != -1:
                if not static_groups:
                    if (i1 + i) % group_size == 0:
                        cur = find_params(W[:, (i1 + i):(i1 + i + group_size)], bits, sym)[:2]
                    if ((i1 + i) // group_size) - now_idx == -1:
                        scales.append(cur[0]); zeros.append(cur[1])
                        now_idx += 1
                else:
                    idx = i1 + i
                    if actorder:
                        idx = perm[idx]
                    cur = groups[idx // group_size]
            qi = quantize_int(w.unsqueeze(1), cur[0], cur[1], maxq)
            q = (cur[0] * (qi - cur[1])).flatten()
            I1[:, i] = qi.flatten()
            Q1[:, i] = q
            Losses1[:, i] = (w - q) ** 2 / d ** 2
            err1 = (w - q) / d
            W1[:, i:] -= err1.unsqueeze(1).matmul(Hinv1[i, i:].unsqueeze(0))
            Err1[:, i] = err1
        Q[:, i1:i2] = Q1
        Qint[:, i1:i2] = I1
        Losses[:, i1:i2] = Losses1 / 2
        W[:, i2:] -= Err1.matmul(Hinv[i1:i2, i2:])
    gs = group_size if group_size != -1 else columns
    if static_groups and actorder:
        g_idx = [int(perm[i]) // gs for i in range(columns)]
    else:
        g_idx = [i // gs for i in range(columns)]
    g_idx = torch.tensor(g_idx, dtype=torch.int32)
    if actorder:
        Q = Q[:, invperm]; Qint = Qint[:, invperm]
        g_idx = g_idx[invperm]
    if scales == []:
        scales.append(cur[0]); zeros.append(cur[1])
    scale = torch.cat(scales, dim=1)
    zero = torch.cat(zeros, dim=1)
    # AutoGPTQ's pack: integers recomputed from the (FP16-cast) dequantized weights and FP16 scales.
    s16 = scale.t().contiguous().half()
    sz = (zero.t() * scale.t())
    Qh = Q.half().float()
    packed = torch.stack([torch.round((Qh[:, j] + sz[g_idx[j]]) / s16[g_idx[j]].float()) for j in range(columns)], dim=1)
    return dict(Q=Q, codes=Qint.to(torch.int64), scale=scale, zero=zero, g_idx=g_idx,
                loss=float(torch.sum(Losses).item()), packed=packed.to(torch.int64), perm=perm)


# ---- deterministic inputs shared with the Swift tests (SplitMix64, as Tests' `Weights`) ----
M64 = (1 << 64) - 1


class SplitMix:
    def __init__(self, seed):
        self.state = seed & M64

    def raw24(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & M64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return (z ^ (z >> 31)) >> 40

    def float(self):
        # Float(raw24) / 2^24 * 2 - 1, exact in float32
        return self.raw24() / float(1 << 24) * 2 - 1

    def int(self, lo, hi):
        return lo + self.raw24() % (hi - lo + 1)


def weights(seed, rows, columns):
    g = SplitMix(seed)
    return torch.tensor([g.float() for _ in range(rows * columns)], dtype=torch.float32).reshape(rows, columns)


def calibration(seed, columns, samples, factors=8):
    """X [columns, samples] of small integers with correlated columns; H = X Xᵀ is exact in float32."""
    g = SplitMix(seed)
    A = [[g.int(-2, 2) for _ in range(factors)] for _ in range(columns)]
    s = [g.int(1, 3) for _ in range(columns)]
    Z = [[g.int(-3, 3) for _ in range(samples)] for _ in range(factors)]
    X = [[s[c] * sum(A[c][f] * Z[f][n] for f in range(factors)) + g.int(-1, 1) for n in range(samples)] for c in range(columns)]
    X = torch.tensor(X, dtype=torch.float64)
    return X


def hessian(seed, columns, samples):
    X = calibration(seed, columns, samples)
    H = X @ X.t()
    assert H.abs().max() < 2 ** 24
    return H.to(torch.float32), X


CASES = [
    dict(name="4-bit g32", bits=4, group_size=32, act_order=False, static_groups=False, sym=True, blocksize=128, dead=[]),
    dict(name="4-bit g32 act-order", bits=4, group_size=32, act_order=True, static_groups=False, sym=True, blocksize=128, dead=[]),
    dict(name="4-bit g32 act-order static", bits=4, group_size=32, act_order=True, static_groups=True, sym=True, blocksize=128, dead=[]),
    dict(name="3-bit asym per-row act-order", bits=3, group_size=-1, act_order=True, static_groups=False, sym=False, blocksize=128, dead=[]),
    dict(name="2-bit asym g32 blocksize 16", bits=2, group_size=32, act_order=False, static_groups=False, sym=False, blocksize=16, dead=[]),
    dict(name="4-bit g32 act-order dead columns", bits=4, group_size=32, act_order=True, static_groups=False, sym=True, blocksize=16, dead=[5, 17, 40, 41]),
]


def run(case, rows=16, columns=64, samples=200, weight_seed=1, input_seed=2, dtype=torch.float32):
    W = weights(weight_seed, rows, columns)
    X = calibration(input_seed, columns, samples)
    X[case["dead"], :] = 0
    H = (X @ X.t()).to(torch.float32)
    r = fasterquant(W, H, bits=case["bits"], group_size=case["group_size"], actorder=case["act_order"],
                    static_groups=case["static_groups"], sym=case["sym"], blocksize=case["blocksize"], dtype=dtype)
    assert torch.equal(r["codes"], r["packed"]), "pack would store other codes"
    return dict(case, rows=rows, columns=columns, samples=samples, weight_seed=weight_seed, input_seed=input_seed), r


PACKED = [
    dict(name="3-bit g32 act-order, packed", bits=3, group_size=32, act_order=True, static_groups=False, sym=True, blocksize=128, dead=[]),
    dict(name="4-bit asym g32, packed", bits=4, group_size=32, act_order=False, static_groups=False, sym=False, blocksize=128, dead=[]),
]


def autogptq_pack(intweight, zeros, bits):
    """QuantLinear.pack of qlinear_cuda_old: intweight [in, out] and zeros [groups, out] (uint32)
    into qweight [in / 32 · bits, out] and qzeros [groups, out / 32 · bits]."""
    import numpy as np

    def pack_rows(values):  # values [n, m] -> [n / 32 · bits, m], packing along axis 0
        out = np.zeros((values.shape[0] // 32 * bits, values.shape[1]), dtype=np.uint32)
        i = row = 0
        while row < out.shape[0]:
            if bits in (2, 4, 8):
                for j in range(i, i + 32 // bits):
                    out[row] |= values[j] << (bits * (j - i))
                i += 32 // bits
                row += 1
            else:
                for j in range(i, i + 10):
                    out[row] |= values[j] << (3 * (j - i))
                i += 10
                out[row] |= values[i] << 30
                row += 1
                out[row] |= (values[i] >> 2) & 1
                i += 1
                for j in range(i, i + 10):
                    out[row] |= values[j] << (3 * (j - i) + 1)
                i += 10
                out[row] |= values[i] << 31
                row += 1
                out[row] |= (values[i] >> 1) & 0x3
                i += 1
                for j in range(i, i + 10):
                    out[row] |= values[j] << (3 * (j - i) + 2)
                i += 10
                row += 1
        return out

    qweight = pack_rows(intweight.astype(np.uint32))
    qzeros = pack_rows((zeros - 1).astype(np.uint32).T).T
    return qweight, qzeros


def packed_case(case):
    import numpy as np
    meta, r = run(case, rows=32, columns=64)
    assert bool((r["zero"] > 0).all()), "a zero point of 0 cannot be stored in format v1"
    qweight, qzeros = autogptq_pack(r["packed"].t().numpy(), r["zero"].t().numpy(), case["bits"])
    halves = r["scale"].t().contiguous().half().numpy().view(np.uint16)
    words = lambda a: ["%08x" % v for v in np.ascontiguousarray(a).reshape(-1).tolist()]
    return dict(meta, qweight=words(qweight), qzeros=words(qzeros),
                scales_f16=["%04x" % v for v in halves.reshape(-1).tolist()], g_idx=r["g_idx"].tolist())


def main():
    out = {"generator": "scripts/dev/gen-gptq-fixture.py", "torch": torch.__version__, "cases": []}
    for case in CASES:
        meta, r = run(case)
        _, r64 = run(case, dtype=torch.float64)
        differ = int((r["codes"] != r64["codes"]).sum())
        print(f"{case['name']}: loss {r['loss']:.6g}; float64 changes {differ} of {r['codes'].numel()} codes", file=sys.stderr)
        order = r["perm"].tolist() if r["perm"] is not None else list(range(meta["columns"]))
        out["cases"].append(dict(meta,
                                 codes=["".join("%x" % v for v in row) for row in r["codes"].tolist()],
                                 g_idx=r["g_idx"].tolist(), order=order,
                                 scales=[float(v) for v in r["scale"][0].tolist()],
                                 loss=r["loss"], float64_codes_differing=differ))
    out["packed"] = [packed_case(case) for case in PACKED]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "QuantizersTests", "Fixtures", "gptq.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
