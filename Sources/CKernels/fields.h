#ifndef QUANTLAB_CKERNELS_FIELDS_H
#define QUANTLAB_CKERNELS_FIELDS_H

// Field loads and stores for packed blocks, shared by every C file of CKernels (private: not in
// include/). Byte by byte, little-endian, no alignment or type punning, so the kernels read the
// same on any host; compilers turn each into one load on little-endian machines.

#include "ckernels.h"

static inline uint16_t ql_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static inline uint32_t ql_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

// Two's-complement int8 / int16 without implementation-defined narrowing conversions.
static inline int32_t ql_i8(uint8_t b) { return (int32_t)b - ((b & 0x80) ? 256 : 0); }

static inline int32_t ql_i16(const uint8_t *p) {
    const int32_t u = ql_u16(p);
    return u - ((u & 0x8000) ? 0x10000 : 0);
}

static inline float ql_f32(const uint8_t *p) { return ql_f32_from_bits(ql_u32(p)); }

// An FP16 field as FP32.
static inline float ql_half(const uint8_t *p) { return ql_fp16_to_fp32(ql_u16(p)); }

static inline void ql_store16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)(v & 0xFF);
    p[1] = (uint8_t)(v >> 8);
}

static inline void ql_store_f32(uint8_t *p, float f) {
    const uint32_t u = ql_f32_bits(f);
    for (int k = 0; k < 4; k++) p[k] = (uint8_t)(u >> (8 * k));
}

#endif
