#ifndef LEDGER_BENCHMARK_CZSTD_SHIM_H
#define LEDGER_BENCHMARK_CZSTD_SHIM_H
// libzstd for the raw-decompression baseline (the root package's CZstd is not a product).
#include <zstd.h>
static inline int benchmark_zstd_is_error(size_t code) { return ZSTD_isError(code) ? 1 : 0; }
#endif
