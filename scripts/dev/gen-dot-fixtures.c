/*
 * Development only: writes Tests/QuantCoreTests/Fixtures/dot-kernels.json, the oracle results for
 * Sources/CKernels/dots_scalar.c, from ggml's own C code in a llama.cpp source tree (never
 * committed, never built by CI or SwiftPM):
 *
 *   LLAMA=/path/to/llama.cpp            # the tree holding ggml/ (e.g. llama-cpp-python's vendor/llama.cpp)
 *   cc -O2 -std=gnu11 -ffp-contract=off \
 *      -I$LLAMA/ggml/include -I$LLAMA/ggml/src -I$LLAMA/ggml/src/ggml-cpu \
 *      scripts/dev/gen-dot-fixtures.c $LLAMA/ggml/src/ggml-cpu/quants.c $LLAMA/ggml/src/ggml-quants.c \
 *      -lm -o /tmp/gen-dot-fixtures
 *   /tmp/gen-dot-fixtures > Tests/QuantCoreTests/Fixtures/dot-kernels.json
 *
 * The oracle is ggml's scalar code: ggml_vec_dot_*_generic (ggml-cpu/quants.c) for the dot
 * products, quantize_row_*_ref (ggml-quants.c) for the weight and activation blocks and for
 * Q8_1 rows. -ffp-contract=off keeps every float operation rounded where C rounds it (no FMA
 * fusion), which is what "ggml's generic result" means; on x86-64 without -mfma it changes nothing.
 *
 * For each weight type there are two cases: "ggml-quantized" (weights and activations quantized by
 * ggml's reference quantizers from seeded Gaussian floats) and "raw-codes" (every code and scale
 * bit pattern, activation codes down to −128, moderate finite scales, some all-zero blocks). Each
 * records the block bytes, ggml's float result as its bit pattern and as a decimal. Two Q8_1 cases
 * record input floats (bit patterns) and ggml's block bytes.
 */
#include "ggml-quants.h"
#include "ggml-impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ggml-cpu reads FP16 through this table (filled by ggml_cpu_init in a real build); the rest are
// link stubs for code paths the generator never takes.
float ggml_table_f32_f16[1 << 16];
void ggml_abort(const char *file, int line, const char *fmt, ...) { fprintf(stderr, "ggml_abort %s:%d %s\n", file, line, fmt); abort(); }
size_t ggml_row_size(enum ggml_type type, int64_t ne) { (void)type; (void)ne; abort(); }
const char *ggml_type_name(enum ggml_type type) { (void)type; abort(); }
size_t ggml_type_size(enum ggml_type type) { (void)type; abort(); }

typedef void (*DotFn)(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q4_1_q8_1_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q5_0_q8_0_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q5_1_q8_1_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_iq4_nl_q8_0_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q2_K_q8_K_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q3_K_q8_K_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q5_K_q8_K_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);
void ggml_vec_dot_q6_K_q8_K_generic(int, float *, size_t, const void *, size_t, const void *, size_t, int);

static void quant_q4_1(const float *x, void *y, int64_t k) { quantize_row_q4_1_ref(x, y, k); }
static void quant_q5_0(const float *x, void *y, int64_t k) { quantize_row_q5_0_ref(x, y, k); }
static void quant_q5_1(const float *x, void *y, int64_t k) { quantize_row_q5_1_ref(x, y, k); }
static void quant_iq4_nl(const float *x, void *y, int64_t k) { quantize_row_iq4_nl_ref(x, y, k); }
static void quant_q2_K(const float *x, void *y, int64_t k) { quantize_row_q2_K_ref(x, y, k); }
static void quant_q3_K(const float *x, void *y, int64_t k) { quantize_row_q3_K_ref(x, y, k); }
static void quant_q5_K(const float *x, void *y, int64_t k) { quantize_row_q5_K_ref(x, y, k); }
static void quant_q6_K(const float *x, void *y, int64_t k) { quantize_row_q6_K_ref(x, y, k); }
static void quant_q8_0(const float *x, void *y, int64_t k) { quantize_row_q8_0_ref(x, y, k); }
static void quant_q8_1(const float *x, void *y, int64_t k) { quantize_row_q8_1_ref(x, y, k); }
static void quant_q8_K(const float *x, void *y, int64_t k) { quantize_row_q8_K_ref(x, y, k); }

typedef struct {
    const char *name;
    int block, bytes;
    void (*quantize)(const float *, void *, int64_t);
} Format;

static const Format Q8_0 = {"Q8_0", 32, 34, quant_q8_0}, Q8_1 = {"Q8_1", 32, 36, quant_q8_1}, Q8_K = {"Q8_K", 256, 292, quant_q8_K};

typedef struct {
    Format weights;
    const Format *activations;
    DotFn dot;
    int halves[2];  // byte offsets of the FP16 scale fields in a weight block (−1: none)
    int n_quantized, n_raw;
} Kind;

static const Kind kinds[] = {
    {{"Q4_1", 32, 20, quant_q4_1}, &Q8_1, ggml_vec_dot_q4_1_q8_1_generic, {0, 2}, 256, 256},
    {{"Q5_0", 32, 22, quant_q5_0}, &Q8_0, ggml_vec_dot_q5_0_q8_0_generic, {0, -1}, 256, 256},
    {{"Q5_1", 32, 24, quant_q5_1}, &Q8_1, ggml_vec_dot_q5_1_q8_1_generic, {0, 2}, 256, 256},
    {{"IQ4_NL", 32, 18, quant_iq4_nl}, &Q8_0, ggml_vec_dot_iq4_nl_q8_0_generic, {0, -1}, 256, 256},
    {{"Q2_K", 256, 84, quant_q2_K}, &Q8_K, ggml_vec_dot_q2_K_q8_K_generic, {80, 82}, 512, 768},
    {{"Q3_K", 256, 110, quant_q3_K}, &Q8_K, ggml_vec_dot_q3_K_q8_K_generic, {108, -1}, 512, 768},
    {{"Q5_K", 256, 176, quant_q5_K}, &Q8_K, ggml_vec_dot_q5_K_q8_K_generic, {0, 2}, 512, 768},
    {{"Q6_K", 256, 210, quant_q6_K}, &Q8_K, ggml_vec_dot_q6_K_q8_K_generic, {208, -1}, 512, 768},
};

// splitmix64: a fixed, seeded stream, so the fixture is reproducible.
static uint64_t state = 20240611;
static uint64_t next(void) {
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double uniform(void) { return (double)(next() >> 11) * 0x1p-53; }
static float gaussian(void) { return (float)(sqrt(-2 * log(uniform() + 1e-300)) * cos(2 * M_PI * uniform())); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static uint16_t half(float f) { return ggml_compute_fp32_to_fp16(f); }

static void hex(const char *key, const uint8_t *p, size_t count) {
    printf("\"%s\": \"", key);
    for (size_t i = 0; i < count; i++) printf("%02x", p[i]);
    printf("\"");
}

// Gaussian weights with a per-16 sub-block spread (so K-quant sub-block scales differ) and a few outliers.
static void weight_floats(float *x, int n) {
    for (int g = 0; g < n / 16; g++) {
        const float spread = 0.02f * (0.1f + 2 * (float)uniform());
        for (int l = 0; l < 16; l++) x[16 * g + l] = gaussian() * spread * (uniform() < 0.01 ? 8 : 1);
    }
}

// Activation blocks of raw codes (−128…127) with moderate scales: Q8_1's s = FP16(d·Σq) as ggml
// writes it, Q8_K's bsums the sums of each 16 codes. Block `zero` (if ≥ 0) is all zero bytes.
static void raw_activations(const Format *f, uint8_t *a, int n, int zero) {
    for (int b = 0; b < n / f->block; b++) {
        uint8_t *p = a + b * f->bytes;
        if (b == zero) { memset(p, 0, f->bytes); continue; }
        const float d = 0.005f + 0.01f * (float)uniform();
        if (f == &Q8_K) {
            memcpy(p, &d, 4);
            for (int j = 0; j < 256; j++) p[4 + j] = (uint8_t)next();
            for (int j = 0; j < 16; j++) {
                int sum = 0;
                for (int l = 0; l < 16; l++) sum += (int8_t)p[4 + 16 * j + l];
                put16(p + 260 + 2 * j, (uint16_t)(int16_t)sum);
            }
        } else {
            const int codes = f == &Q8_1 ? 4 : 2;
            put16(p, half(d));
            int sum = 0;
            for (int j = 0; j < 32; j++) { p[codes + j] = (uint8_t)next(); sum += (int8_t)p[codes + j]; }
            if (f == &Q8_1) put16(p + 2, half(sum * d));
        }
    }
}

// Weight blocks of random bytes (every code and packed-scale pattern) with moderate FP16 scales.
static void raw_weights(const Kind *k, uint8_t *w, int n, int zero) {
    for (int b = 0; b < n / k->weights.block; b++) {
        uint8_t *p = w + b * k->weights.bytes;
        if (b == zero) { memset(p, 0, k->weights.bytes); continue; }
        for (int i = 0; i < k->weights.bytes; i++) p[i] = (uint8_t)next();
        for (int f = 0; f < 2; f++) if (k->halves[f] >= 0) put16(p + k->halves[f], half(gaussian() * 0.01f));
    }
}

int main(void) {
    for (int i = 0; i < (1 << 16); i++) ggml_table_f32_f16[i] = ggml_compute_fp16_to_fp32((ggml_fp16_t)i);
    static float x[1024];
    static uint8_t w[1024], a[1024];

    printf("{\n\"oracle\": \"llama.cpp ggml: ggml_vec_dot_*_generic (ggml-cpu/quants.c), quantize_row_*_ref (ggml-quants.c)\",\n");
    printf("\"generator\": \"scripts/dev/gen-dot-fixtures.c\",\n\"dots\": [\n");
    int first = 1;
    for (size_t ki = 0; ki < sizeof kinds / sizeof kinds[0]; ki++) {
        const Kind *k = &kinds[ki];
        for (int raw = 0; raw < 2; raw++) {
            const int n = raw ? k->n_raw : k->n_quantized;
            const int weight_blocks = n / k->weights.block, activation_blocks = n / k->activations->block;
            if (raw) {
                // Legacy: one all-zero weight block and one all-zero activation block; K-quants: the
                // last super-block's activations all zero.
                raw_weights(k, w, n, k->weights.block == 32 ? 2 : -1);
                raw_activations(k->activations, a, n, k->weights.block == 32 ? 5 : activation_blocks - 1);
            } else {
                weight_floats(x, n);
                k->weights.quantize(x, w, n);
                for (int i = 0; i < n; i++) x[i] = gaussian() * (uniform() < 0.02 ? 6 : 1);
                k->activations->quantize(x, a, n);
            }
            float result = 0;
            k->dot(n, &result, 0, w, 0, a, 0, 1);
            if (!isfinite(result)) { fprintf(stderr, "non-finite result for %s\n", k->weights.name); return 1; }
            uint32_t bits;
            memcpy(&bits, &result, 4);
            printf("%s{\"weights\": \"%s\", \"activations\": \"%s\", \"name\": \"%s\", \"n\": %d,\n ", first ? "" : ",\n",
                   k->weights.name, k->activations->name, raw ? "raw-codes" : "ggml-quantized", n);
            hex("weights_hex", w, (size_t)weight_blocks * k->weights.bytes);
            printf(",\n ");
            hex("activations_hex", a, (size_t)activation_blocks * k->activations->bytes);
            printf(",\n \"expected_bits\": %u, \"expected\": %.9g}", bits, result);
            first = 0;
        }
    }
    printf("\n],\n\"q8_1\": [\n");

    // Q8_1 rows. "gaussian": three blocks (Gaussian, all zero, Gaussian × 1e-3). "edges": amax exactly
    // 127 so d = 1 and the codes are exact halves (roundf rounds them away from zero), then a block
    // of large positive values whose s = d·Σq overflows FP16 to +∞.
    for (int c = 0; c < 2; c++) {
        const int n = c == 0 ? 96 : 64;
        if (c == 0) {
            for (int i = 0; i < 96; i++) x[i] = i < 32 ? gaussian() : i < 64 ? 0.0f : gaussian() * 1e-3f;
        } else {
            for (int i = 0; i < 32; i++) x[i] = (float)((int)(uniform() * 254) - 127) + ((next() & 1) ? 0.5f : -0.5f);
            for (int i = 0; i < 32; i++) if (fabsf(x[i]) > 127) x[i] = x[i] > 0 ? 126.5f : -126.5f;
            x[0] = -127.0f;
            for (int i = 32; i < 64; i++) x[i] = 20000.0f + 10000.0f * (float)uniform();
        }
        uint8_t y[36 * 3];
        quantize_row_q8_1_ref(x, (block_q8_1 *)y, n);
        printf("%s{\"name\": \"%s\", \"n\": %d, \"input_bits\": [", c ? ",\n" : "", c == 0 ? "gaussian" : "edges", n);
        for (int i = 0; i < n; i++) {
            uint32_t bits;
            memcpy(&bits, &x[i], 4);
            printf("%s%u", i ? ", " : "", bits);
        }
        printf("],\n ");
        hex("bytes_hex", y, (size_t)(n / 32) * 36);
        printf("}");
    }
    printf("\n]\n}\n");
    return 0;
}
