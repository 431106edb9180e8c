#include "ckernels.h"
#include "fields.h"

#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

// Each function carries its own target attribute: the file is compiled without -mavx2, and the
// public entry points only call into this code after ql_have_avx2() says the CPU has it.
#define AVX2_FN __attribute__((target("avx2,fma,f16c")))

// MARK: Shared helpers
//
// Bounds used below. _mm256_maddubs_epi16(u, s) multiplies unsigned bytes u by signed bytes s and
// adds adjacent pairs into int16 with saturation, so it is exact while 2·max(u)·128 ≤ 32767, i.e.
// u ≤ 127. Every weight code fed to it as the unsigned operand is at most 63 (Q6_K), and an
// activation byte may be any int8, −128 included. Where the weight codes are signed (Q5_0, IQ4_NL)
// the activation becomes the unsigned operand instead: |q8| (−128 → 0x80 = 128 read unsigned)
// against the code with q8's sign moved onto it, which cannot overflow because every such code
// lies in −127…127. (The usual |x|, sign(y, x) trick with x the weight would turn q8 = −128 into
// −128 again when x < 0, and get that product's sign wrong.)

AVX2_FN static inline float hsum_ps(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2_FN static inline float hsum_ps128(__m128 s) {
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// 16 packed bytes → 32 codes 0…15: the low nibbles (values 0–15 of a legacy block) in the low
// 128-bit lane, the high nibbles (values 16–31) in the high lane. The bytes are loaded into both
// lanes at once and only the high lane is shifted (a per-dword variable shift), then masked.
AVX2_FN static inline __m256i unpack_nibbles(const uint8_t *qs) {
    const __m256i both = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs));
    return _mm256_and_si256(_mm256_srlv_epi32(both, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)), _mm256_set1_epi8(0x0F));
}

// The 32 bits of a little-endian word → 32 bytes, 0xFF where bit j is set (byte j), else 0.
AVX2_FN static inline __m256i unpack_bits(const uint8_t *qh) {
    // Byte j takes word byte j/8, then keeps only bit j%8 and compares it with itself.
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1,
                                            2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    const __m256i select = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)ql_u32(qh)), spread);
    return _mm256_cmpeq_epi8(_mm256_and_si256(bytes, select), select);
}

// Signed codes (each in −127…127) times any int8 activations, adjacent pairs summed: 16 × int16,
// exact (see above).
AVX2_FN static inline __m256i mul_signed_pairs(__m256i codes, __m256i q8) {
    return _mm256_maddubs_epi16(_mm256_abs_epi8(q8), _mm256_sign_epi8(codes, q8));
}

// 16 × int16 → 8 × int32, adjacent pairs summed, as floats (each lane of a legacy block sums 4
// products, at most 4 · 127 · 128 in magnitude: exact in float).
AVX2_FN static inline __m256 pairs_to_ps(__m256i pairs) {
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

// Block scales: the products the scalar twin forms, rounded the same way (F16C converts exactly).

// Two adjacent FP16 fields (Q4_1/Q5_1's d, m; Q8_1's d, s) → [f0, f1, 0, 0].
AVX2_FN static inline __m128 half_pair(const uint8_t *p) {
    return _mm_cvtph_ps(_mm_cvtsi32_si128((int)ql_u32(p)));
}

// d_x·d_y of a block against a Q8_0 block (FP16 d at offset 0 of each), broadcast. The two
// halves are paired in a general register first: [d_x, d_y] in one word, one conversion.
AVX2_FN static inline __m256 q8_0_scale(const uint8_t *x, const uint8_t *y) {
    const __m128 f = _mm_cvtph_ps(_mm_cvtsi32_si128((int)((uint32_t)ql_u16(x) | (uint32_t)ql_u16(y) << 16)));
    return _mm256_broadcastss_ps(_mm_mul_ss(f, _mm_movehdup_ps(f)));
}

// A Q4_1/Q5_1 block (FP16 d, m) against a Q8_1 block (FP16 d, s): d_x·d_y broadcast, and m_x·s_y
// added to lane 1 of `offsets` (lanes 0 and 1 only; the others stay 0).
AVX2_FN static inline __m256 q8_1_scale(const uint8_t *x, const uint8_t *y, __m128 *offsets) {
    const __m128 p = _mm_mul_ps(half_pair(x), half_pair(y));          // [d_x·d_y, m_x·s_y, 0, 0]
    *offsets = _mm_add_ps(*offsets, p);
    return _mm256_broadcastss_ps(p);
}

// An FP16 field of a K-quant block times the Q8_K scale, in all 8 lanes (the product the twin
// forms). The half is broadcast before the conversion: every lane is then used, so compilers load it
// with a broadcast instead of inserting it into a stale register (which, with clang, made each
// super-block's scale wait for the previous super-block's accumulation).
AVX2_FN static inline __m256 half_times(const uint8_t *p, float f) {
    return _mm256_mul_ps(_mm256_cvtph_ps(_mm_set1_epi16((short)ql_u16(p))), _mm256_set1_ps(f));
}

// MARK: Legacy 32-value blocks
//
// Two blocks per iteration, each into its own accumulator (hiding the FMA latency); an odd last
// block goes to the first. Each block's 16 int16 pair sums become 8 int32 lanes (madd with ones),
// which are scaled by d_x·d_y lane by lane.

#define LOAD_Q8(p) _mm256_loadu_si256((const __m256i *)(p))

// Q4_1 (FP16 d, FP16 m, 16 nibble bytes; 20 bytes) · Q8_1 (FP16 d, FP16 s, 32 int8; 36 bytes):
// codes 0…15 go straight into maddubs; Σ m_x·s_y is collected apart, as the twin adds it per block.
AVX2_FN static inline __m256 block_q4_1(const uint8_t *x, const uint8_t *y) {
    return pairs_to_ps(_mm256_maddubs_epi16(unpack_nibbles(x + 4), LOAD_Q8(y + 4)));
}

AVX2_FN static float dot_q4_1_q8_1_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 offsets = _mm_setzero_ps();
    const int blocks = n / 32;
    int b = 0;
    for (; b + 1 < blocks; b += 2, x += 2 * sizeof(ql_block_q4_1), y += 2 * sizeof(ql_block_q8_1)) {
        acc0 = _mm256_fmadd_ps(q8_1_scale(x, y, &offsets), block_q4_1(x, y), acc0);
        acc1 = _mm256_fmadd_ps(q8_1_scale(x + sizeof(ql_block_q4_1), y + sizeof(ql_block_q8_1), &offsets), block_q4_1(x + sizeof(ql_block_q4_1), y + sizeof(ql_block_q8_1)), acc1);
    }
    if (b < blocks) acc0 = _mm256_fmadd_ps(q8_1_scale(x, y, &offsets), block_q4_1(x, y), acc0);
    return hsum_ps(_mm256_add_ps(acc0, acc1)) + _mm_cvtss_f32(_mm_movehdup_ps(offsets));
}

// Q5_0 (FP16 d, 32-bit qh, 16 nibble bytes; 22 bytes) · Q8_0 (FP16 d, 32 int8; 34 bytes). The
// signed code q − 16 is built directly as a byte: with the fifth bit clear it is nibble − 16, in
// two's complement nibble | 0xF0; with it set, the nibble itself. Codes −16…15 → mul_signed_pairs.
AVX2_FN static inline __m256 block_q5_0(const uint8_t *x, const uint8_t *y) {
    const __m256i codes = _mm256_or_si256(unpack_nibbles(x + 6), _mm256_andnot_si256(unpack_bits(x + 2), _mm256_set1_epi8((char)0xF0)));
    return pairs_to_ps(mul_signed_pairs(codes, LOAD_Q8(y + 2)));
}

AVX2_FN static float dot_q5_0_q8_0_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const int blocks = n / 32;
    int b = 0;
    for (; b + 1 < blocks; b += 2, x += 2 * sizeof(ql_block_q5_0), y += 2 * sizeof(ql_block_q8_0)) {
        acc0 = _mm256_fmadd_ps(q8_0_scale(x, y), block_q5_0(x, y), acc0);
        acc1 = _mm256_fmadd_ps(q8_0_scale(x + sizeof(ql_block_q5_0), y + sizeof(ql_block_q8_0)), block_q5_0(x + sizeof(ql_block_q5_0), y + sizeof(ql_block_q8_0)), acc1);
    }
    if (b < blocks) acc0 = _mm256_fmadd_ps(q8_0_scale(x, y), block_q5_0(x, y), acc0);
    return hsum_ps(_mm256_add_ps(acc0, acc1));
}

// Q5_1 (FP16 d, FP16 m, 32-bit qh, 16 nibble bytes; 24 bytes) · Q8_1: unsigned codes 0…31 (nibble
// | 0x10 where the fifth bit is set) straight into maddubs; the offsets as for Q4_1.
AVX2_FN static inline __m256 block_q5_1(const uint8_t *x, const uint8_t *y) {
    const __m256i codes = _mm256_or_si256(unpack_nibbles(x + 8), _mm256_and_si256(unpack_bits(x + 4), _mm256_set1_epi8(0x10)));
    return pairs_to_ps(_mm256_maddubs_epi16(codes, LOAD_Q8(y + 4)));
}

AVX2_FN static float dot_q5_1_q8_1_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    __m128 offsets = _mm_setzero_ps();
    const int blocks = n / 32;
    int b = 0;
    for (; b + 1 < blocks; b += 2, x += 2 * sizeof(ql_block_q5_1), y += 2 * sizeof(ql_block_q8_1)) {
        acc0 = _mm256_fmadd_ps(q8_1_scale(x, y, &offsets), block_q5_1(x, y), acc0);
        acc1 = _mm256_fmadd_ps(q8_1_scale(x + sizeof(ql_block_q5_1), y + sizeof(ql_block_q8_1), &offsets), block_q5_1(x + sizeof(ql_block_q5_1), y + sizeof(ql_block_q8_1)), acc1);
    }
    if (b < blocks) acc0 = _mm256_fmadd_ps(q8_1_scale(x, y, &offsets), block_q5_1(x, y), acc0);
    return hsum_ps(_mm256_add_ps(acc0, acc1)) + _mm_cvtss_f32(_mm_movehdup_ps(offsets));
}

// IQ4_NL (FP16 d, 16 nibble bytes indexing 16 levels in −127…113; 18 bytes) · Q8_0: one in-lane
// byte shuffle looks the levels up for all 32 nibbles (the table sits in both 128-bit lanes).
AVX2_FN static inline __m256 block_iq4_nl(const uint8_t *x, const uint8_t *y) {
    const __m256i levels = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)ql_kvalues_iq4nl));
    return pairs_to_ps(mul_signed_pairs(_mm256_shuffle_epi8(levels, unpack_nibbles(x + 2)), LOAD_Q8(y + 2)));
}

AVX2_FN static float dot_iq4_nl_q8_0_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const int blocks = n / 32;
    int b = 0;
    for (; b + 1 < blocks; b += 2, x += 2 * sizeof(ql_block_iq4_nl), y += 2 * sizeof(ql_block_q8_0)) {
        acc0 = _mm256_fmadd_ps(q8_0_scale(x, y), block_iq4_nl(x, y), acc0);
        acc1 = _mm256_fmadd_ps(q8_0_scale(x + sizeof(ql_block_iq4_nl), y + sizeof(ql_block_q8_0)), block_iq4_nl(x + sizeof(ql_block_iq4_nl), y + sizeof(ql_block_q8_0)), acc1);
    }
    if (b < blocks) acc0 = _mm256_fmadd_ps(q8_0_scale(x, y), block_iq4_nl(x, y), acc0);
    return hsum_ps(_mm256_add_ps(acc0, acc1));
}

// MARK: K-quants (256-value super-blocks) · Q8_K (F32 d at 0, 256 int8 at 4, 16 int16 bsums at 260)
//
// Each kernel walks the super-block in 8 groups of 32 values, one 256-bit vector of codes each, in
// the order of the Q8_K codes (group g: activations 32g…32g+31). maddubs leaves 16 int16 pair
// sums: words 0–7 (the low 128-bit lane) cover values 0–15 of the group, words 8–15 values 16–31.
// A madd with a vector of int16 scales then weights them and widens to int32 in one step. Q2_K,
// Q3_K and Q6_K have a scale per 16 values, so group g needs scale 2g in its low lane and 2g+1 in
// its high lane: with the scales widened once per super-block into the "even/odd" vector
// [s0 s2 … s14 | s1 s3 … s15], that is word g of each lane, broadcast by one in-lane byte shuffle
// with the mask below. Q5_K has a scale per 32 values; it uses the same masks on [s0…s7 | s0…s7].
// Lane bounds: a madd word pair is at most 2 · 128 · (2 · 63 · 128), under 2^22, and eight of them
// (plus the offset terms) stay far below 2^31.

// Byte masks for _mm256_shuffle_epi8 that broadcast int16 word g of each 128-bit lane.
static const uint8_t word_broadcast[8][32] = {
#define WORD_BCAST(g) { 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, \
                        2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1, 2*g, 2*g+1 }
    WORD_BCAST(0), WORD_BCAST(1), WORD_BCAST(2), WORD_BCAST(3), WORD_BCAST(4), WORD_BCAST(5), WORD_BCAST(6), WORD_BCAST(7),
#undef WORD_BCAST
};

AVX2_FN static inline __m256i scale_of_group(__m256i scales16, int g) {
    return _mm256_shuffle_epi8(scales16, _mm256_loadu_si256((const __m256i *)word_broadcast[g]));
}

// 16 int8 scales s0…s15 → the even/odd int16 vector [s0 s2 … s14 | s1 s3 … s15] (sign-extended).
AVX2_FN static inline __m256i even_odd_scales(__m128i scales8) {
    const __m128i order = _mm_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9, 11, 13, 15);
    return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales8, order));
}

// Group g's codes (unsigned, ≤ 63) against its 32 activations, weighted by `scale` (int16 words):
// 8 × int32.
AVX2_FN static inline __m256i scaled_group(__m256i codes, const uint8_t *q8, __m256i scale) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(codes, _mm256_loadu_si256((const __m256i *)q8)), scale);
}

// Q2_K (16 scale bytes: scale low nibble, min high nibble; 64 code bytes; FP16 d, dmin). Group
// g = 4h + s takes bits 2s…2s+1 of code bytes 32h…32h+31. The minimums weight the activation
// bsums, as in the twin: Σ_j min_j·bsum_j by one madd.
AVX2_FN static float dot_q2_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *y) {
    const __m256i low2 = _mm256_set1_epi8(3);
    const __m128i low4 = _mm_set1_epi8(0x0F);
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q2_K), y += sizeof(ql_block_q8_K)) {
        const float dy = ql_f32(y);
        const __m128i packed = _mm_loadu_si128((const __m128i *)x);
        const __m256i scales = even_odd_scales(_mm_and_si128(packed, low4));
        const __m256i mins = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), low4));
        const __m256i minsum = _mm256_madd_epi16(mins, _mm256_loadu_si256((const __m256i *)(y + QL_Q8_K_BSUMS)));
        const uint8_t *q8 = y + QL_Q8_K_QS;
        __m256i sumi = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++, q8 += 128) {
            const __m256i bits = _mm256_loadu_si256((const __m256i *)(x + 16 + 32 * h));
            // Shifting 16-bit words by 2s moves no set bit across a byte before the mask.
            const __m256i c0 = _mm256_and_si256(bits, low2);
            const __m256i c1 = _mm256_and_si256(_mm256_srli_epi16(bits, 2), low2);
            const __m256i c2 = _mm256_and_si256(_mm256_srli_epi16(bits, 4), low2);
            const __m256i c3 = _mm256_and_si256(_mm256_srli_epi16(bits, 6), low2);
            const __m256i p01 = _mm256_add_epi32(scaled_group(c0, q8, scale_of_group(scales, 4 * h)),
                                                 scaled_group(c1, q8 + 32, scale_of_group(scales, 4 * h + 1)));
            const __m256i p23 = _mm256_add_epi32(scaled_group(c2, q8 + 64, scale_of_group(scales, 4 * h + 2)),
                                                 scaled_group(c3, q8 + 96, scale_of_group(scales, 4 * h + 3)));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p01, p23));
        }
        // (dy·d)·Σ − (dy·dmin)·Σmins, the twin's two products, lane by lane.
        acc = _mm256_fmadd_ps(half_times(x + 80, dy), _mm256_cvtepi32_ps(sumi), acc);
        acc = _mm256_fnmadd_ps(half_times(x + 82, dy), _mm256_cvtepi32_ps(minsum), acc);
    }
    return hsum_ps(acc);
}

// Q3_K's 16 packed 6-bit scales (12 bytes) → int8 scales − 32, in order s0…s15. Bytes 0–7 hold the
// low four bits (s0–s7 in low nibbles, s8–s15 in high nibbles), bytes 8–11 the high two bits:
// bits 2k…2k+1 of byte 8 + i belong to scale 4k + i.
AVX2_FN static inline __m128i q3_K_scales(const uint8_t *packed) {
    uint32_t w[3];
    memcpy(w, packed, 12);
    const uint32_t low = 0x0F0F0F0Fu, two = 0x03030303u;
    const __m128i s = _mm_setr_epi32((int)((w[0] & low) | ((w[2] & two) << 4)),
                                     (int)((w[1] & low) | (((w[2] >> 2) & two) << 4)),
                                     (int)(((w[0] >> 4) & low) | (((w[2] >> 4) & two) << 4)),
                                     (int)(((w[1] >> 4) & low) | (((w[2] >> 6) & two) << 4)));
    return _mm_sub_epi8(s, _mm_set1_epi8(32));
}

// Q3_K (32 hmask bytes, 64 code bytes, 12 scale bytes, FP16 d). Group g = 4h + s: low two bits are
// bits 2s… of code bytes 32h…, and bit g of hmask[l] clear subtracts 4. maddubs takes the unsigned
// code + 4 = low | 4·hbit (0…7); the 4 is taken back per super-block as 4·Σ_j scale_j·bsum_j.
// Q3_K groups 4h…4h+3: bits 2s…2s+1 of 32 code bytes, plus bit 2 of h0…h3.
AVX2_FN static inline __m256i q3_K_groups(const uint8_t *codes, __m256i h0, __m256i h1, __m256i h2, __m256i h3,
                                          const uint8_t *q8, __m256i scales, int h) {
    const __m256i low2 = _mm256_set1_epi8(3), bit2 = _mm256_set1_epi8(4);
    const __m256i bits = _mm256_loadu_si256((const __m256i *)codes);
    const __m256i c0 = _mm256_or_si256(_mm256_and_si256(bits, low2), _mm256_and_si256(h0, bit2));
    const __m256i c1 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 2), low2), _mm256_and_si256(h1, bit2));
    const __m256i c2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), low2), _mm256_and_si256(h2, bit2));
    const __m256i c3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 6), low2), _mm256_and_si256(h3, bit2));
    const __m256i p01 = _mm256_add_epi32(scaled_group(c0, q8, scale_of_group(scales, 4 * h)),
                                         scaled_group(c1, q8 + 32, scale_of_group(scales, 4 * h + 1)));
    const __m256i p23 = _mm256_add_epi32(scaled_group(c2, q8 + 64, scale_of_group(scales, 4 * h + 2)),
                                         scaled_group(c3, q8 + 96, scale_of_group(scales, 4 * h + 3)));
    return _mm256_add_epi32(p01, p23);
}

AVX2_FN static float dot_q3_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q3_K), y += sizeof(ql_block_q8_K)) {
        const __m128i scales8 = q3_K_scales(x + 96);
        const __m256i scales = even_odd_scales(scales8);
        // hmask bit g moved to bit 2 of each byte (16-bit shifts by at most 5; masked in q3_K_groups).
        const __m256i hmask = _mm256_loadu_si256((const __m256i *)x);
        __m256i sumi = q3_K_groups(x + 32, _mm256_slli_epi16(hmask, 2), _mm256_slli_epi16(hmask, 1), hmask,
                                   _mm256_srli_epi16(hmask, 1), y + QL_Q8_K_QS, scales, 0);
        sumi = _mm256_add_epi32(sumi, q3_K_groups(x + 64, _mm256_srli_epi16(hmask, 2), _mm256_srli_epi16(hmask, 3),
                                                  _mm256_srli_epi16(hmask, 4), _mm256_srli_epi16(hmask, 5), y + QL_Q8_K_QS + 128, scales, 1));
        // 4·Σ scale_j·bsum_j (|bsum| ≤ 2048, |scale| ≤ 32).
        const __m256i offset = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scales8), _mm256_loadu_si256((const __m256i *)(y + QL_Q8_K_BSUMS)));
        sumi = _mm256_sub_epi32(sumi, _mm256_slli_epi32(offset, 2));
        acc = _mm256_fmadd_ps(half_times(x + 108, ql_f32(y)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_ps(acc);
}

// Q4_K/Q5_K's 8 scales and 8 mins (6 bits each, packed in 12 bytes) → 16 bytes, scales then mins:
// for j < 4 the low six bits of bytes j (scale) and j + 4 (min); for j ≥ 4 the low/high nibble of
// byte j + 4 below the top two bits of byte j − 4 (scale) or j (min).
AVX2_FN static inline __m128i k4_scales_mins(const uint8_t *packed) {
    uint32_t w[3];
    memcpy(w, packed, 12);
    const uint32_t six = 0x3F3F3F3Fu, low = 0x0F0F0F0Fu, two = 0x03030303u;
    return _mm_setr_epi32((int)(w[0] & six),
                          (int)((w[2] & low) | (((w[0] >> 6) & two) << 4)),
                          (int)(w[1] & six),
                          (int)(((w[2] >> 4) & low) | (((w[1] >> 6) & two) << 4)));
}

// Q5_K (FP16 d, FP16 dmin, 12 scale bytes, 32 qh bytes, 128 code bytes). Group g: the low (g even)
// or high (g odd) nibble of code bytes 32(g/2)…, plus 16 where bit g of qh[l] is set: codes 0…31.
// The minimums, as in the twin and Q4_K: Σ_j min_j·(bsum_2j + bsum_2j+1).
// Q5_K groups 2j and 2j + 1: the low and high nibbles of 32 code bytes, each with bit 4 from h0 / h1.
AVX2_FN static inline __m256i q5_K_groups(const uint8_t *codes, __m256i h0, __m256i h1, const uint8_t *q8, __m256i scales, int j) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), bit4 = _mm256_set1_epi8(0x10);
    const __m256i bits = _mm256_loadu_si256((const __m256i *)codes);
    const __m256i c0 = _mm256_or_si256(_mm256_and_si256(bits, low4), _mm256_and_si256(h0, bit4));
    const __m256i c1 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 4), low4), _mm256_and_si256(h1, bit4));
    return _mm256_add_epi32(scaled_group(c0, q8, scale_of_group(scales, 2 * j)), scaled_group(c1, q8 + 32, scale_of_group(scales, 2 * j + 1)));
}

AVX2_FN static float dot_q5_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *y) {
    __m256 acc = _mm256_setzero_ps();
    __m128 accm = _mm_setzero_ps();
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q5_K), y += sizeof(ql_block_q8_K)) {
        const float dy = ql_f32(y);
        const __m256i sm = _mm256_cvtepu8_epi16(k4_scales_mins(x + 4));          // [scales | mins]
        const __m256i scales = _mm256_permute4x64_epi64(sm, 0x44);                 // [scales | scales]
        const __m256i bsums = _mm256_loadu_si256((const __m256i *)(y + QL_Q8_K_BSUMS));
        const __m128i pair_sums = _mm_hadd_epi16(_mm256_castsi256_si128(bsums), _mm256_extracti128_si256(bsums, 1));
        const __m128i minsum = _mm_madd_epi16(_mm256_extracti128_si256(sm, 1), pair_sums);
        accm = _mm_fmadd_ps(_mm256_castps256_ps128(half_times(x + 2, dy)), _mm_cvtepi32_ps(minsum), accm);

        // qh bit g moved to bit 4 of each byte (16-bit shifts by at most 4; masked in q5_K_groups).
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(x + 16));
        const uint8_t *codes = x + 48, *q8 = y + QL_Q8_K_QS;
        __m256i sumi = q5_K_groups(codes, _mm256_slli_epi16(qh, 4), _mm256_slli_epi16(qh, 3), q8, scales, 0);
        sumi = _mm256_add_epi32(sumi, q5_K_groups(codes + 32, _mm256_slli_epi16(qh, 2), _mm256_slli_epi16(qh, 1), q8 + 64, scales, 1));
        sumi = _mm256_add_epi32(sumi, q5_K_groups(codes + 64, qh, _mm256_srli_epi16(qh, 1), q8 + 128, scales, 2));
        sumi = _mm256_add_epi32(sumi, q5_K_groups(codes + 96, _mm256_srli_epi16(qh, 2), _mm256_srli_epi16(qh, 3), q8 + 192, scales, 3));
        acc = _mm256_fmadd_ps(half_times(x, dy), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_ps(acc) - hsum_ps128(accm);
}

// Q6_K (128 ql bytes, 64 qh bytes, 16 int8 scales, FP16 d). Half h, quarter t (group g = 4h + t):
// the low (t < 2) or high (t ≥ 2) nibble of ql bytes 64h + 32(t%2)…, with bits 2t…2t+1 of qh
// bytes 32h… as bits 4–5: unsigned codes 0…63 into maddubs (at most 2·63·128 per pair). The −32
// offset comes back per super-block as 32·Σ_j scale_j·bsum_j.
AVX2_FN static float dot_q6_K_q8_K_avx2(int n, const uint8_t *x, const uint8_t *y) {
    const __m256i low4 = _mm256_set1_epi8(0x0F), bits45 = _mm256_set1_epi8(0x30);
    __m256 acc = _mm256_setzero_ps();
    for (int b = 0; b < n / 256; b++, x += sizeof(ql_block_q6_K), y += sizeof(ql_block_q8_K)) {
        const __m128i scales8 = _mm_loadu_si128((const __m128i *)(x + 192));
        const __m256i scales = even_odd_scales(scales8);
        const uint8_t *q8 = y + QL_Q8_K_QS;
        __m256i sumi = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++, q8 += 128) {
            const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(x + 64 * h));
            const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(x + 64 * h + 32));
            const __m256i qh = _mm256_loadu_si256((const __m256i *)(x + 128 + 32 * h));
            // Bits 2t…2t+1 of each qh byte → bits 4–5 (16-bit shifts by at most 4; masked after).
            const __m256i c0 = _mm256_or_si256(_mm256_and_si256(ql0, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45));
            const __m256i c1 = _mm256_or_si256(_mm256_and_si256(ql1, low4), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45));
            const __m256i c2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4), _mm256_and_si256(qh, bits45));
            const __m256i c3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4), _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
            const __m256i p01 = _mm256_add_epi32(scaled_group(c0, q8, scale_of_group(scales, 4 * h)),
                                                 scaled_group(c1, q8 + 32, scale_of_group(scales, 4 * h + 1)));
            const __m256i p23 = _mm256_add_epi32(scaled_group(c2, q8 + 64, scale_of_group(scales, 4 * h + 2)),
                                                 scaled_group(c3, q8 + 96, scale_of_group(scales, 4 * h + 3)));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(p01, p23));
        }
        // 32·Σ scale_j·bsum_j (|bsum| ≤ 2048, |scale| ≤ 128: each madd lane at most 2^19, × 32 at most 2^24).
        const __m256i offset = _mm256_madd_epi16(_mm256_cvtepi8_epi16(scales8), _mm256_loadu_si256((const __m256i *)(y + QL_Q8_K_BSUMS)));
        sumi = _mm256_sub_epi32(sumi, _mm256_slli_epi32(offset, 5));
        acc = _mm256_fmadd_ps(half_times(x + 208, ql_f32(y)), _mm256_cvtepi32_ps(sumi), acc);
    }
    return hsum_ps(acc);
}
#endif

// MARK: Public entry points: AVX2 where the CPU has it, else the scalar twin

#if defined(__x86_64__)
#define DISPATCH(name, n, x, y) do { if (ql_have_avx2()) return dot_##name##_avx2((n), (const uint8_t *)(x), (const uint8_t *)(y)); } while (0)
#else
#define DISPATCH(name, n, x, y) do { } while (0)
#endif

float ql_vec_dot_q4_1_q8_1(int n, const void *x, const void *y) {
    DISPATCH(q4_1_q8_1, n, x, y);
    return ql_vec_dot_q4_1_q8_1_scalar(n, x, y);
}

float ql_vec_dot_q5_0_q8_0(int n, const void *x, const void *y) {
    DISPATCH(q5_0_q8_0, n, x, y);
    return ql_vec_dot_q5_0_q8_0_scalar(n, x, y);
}

float ql_vec_dot_q5_1_q8_1(int n, const void *x, const void *y) {
    DISPATCH(q5_1_q8_1, n, x, y);
    return ql_vec_dot_q5_1_q8_1_scalar(n, x, y);
}

float ql_vec_dot_iq4_nl_q8_0(int n, const void *x, const void *y) {
    DISPATCH(iq4_nl_q8_0, n, x, y);
    return ql_vec_dot_iq4_nl_q8_0_scalar(n, x, y);
}

float ql_vec_dot_q2_K_q8_K(int n, const void *x, const void *y) {
    DISPATCH(q2_K_q8_K, n, x, y);
    return ql_vec_dot_q2_K_q8_K_scalar(n, x, y);
}

float ql_vec_dot_q3_K_q8_K(int n, const void *x, const void *y) {
    DISPATCH(q3_K_q8_K, n, x, y);
    return ql_vec_dot_q3_K_q8_K_scalar(n, x, y);
}

float ql_vec_dot_q5_K_q8_K(int n, const void *x, const void *y) {
    DISPATCH(q5_K_q8_K, n, x, y);
    return ql_vec_dot_q5_K_q8_K_scalar(n, x, y);
}

float ql_vec_dot_q6_K_q8_K(int n, const void *x, const void *y) {
    DISPATCH(q6_K_q8_K, n, x, y);
    return ql_vec_dot_q6_K_q8_K_scalar(n, x, y);
}
