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
#endif
