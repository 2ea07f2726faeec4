#ifndef LEDGER_CZSTD_SHIM_H
#define LEDGER_CZSTD_SHIM_H
// The whole zstd C API the log uses comes through this header; the log wraps
// every context in one owning Swift type that frees it in deinit.
#include <zstd.h>
#include <zstd_errors.h>

// ZSTD_isError returns an unsigned flag; Swift cannot call function-like
// macros, so these wrappers give it plain functions to call.
static inline int ledger_zstd_is_error(size_t code) { return ZSTD_isError(code) ? 1 : 0; }
static inline const char *ledger_zstd_error_name(size_t code) { return ZSTD_getErrorName(code); }
// ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are macros of unsigned long long type.
static inline unsigned long long ledger_zstd_content_size_unknown(void) { return ZSTD_CONTENTSIZE_UNKNOWN; }
static inline unsigned long long ledger_zstd_content_size_error(void) { return ZSTD_CONTENTSIZE_ERROR; }
// Raw (not Huffman-coded) literals: ZSTD_c_literalCompressionMode, an experimental
// parameter of zstd 1.5 (ZSTD_c_experimentalParam5 without ZSTD_STATIC_LINKING_ONLY),
// set to ZSTD_ps_disable (2). Frames stay standard zstd frames; only the encoder's
// choice changes. Returns a zstd error code where the library lacks the parameter.
static inline size_t ledger_zstd_disable_literal_compression(ZSTD_CCtx *context) {
    return ZSTD_CCtx_setParameter(context, ZSTD_c_experimentalParam5, 2);
}
#endif
