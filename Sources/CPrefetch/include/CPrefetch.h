#ifndef LEDGER_CPREFETCH_H
#define LEDGER_CPREFETCH_H
// Swift has no prefetch instruction of its own: hot loops that know which cache line they
// will read next (an import's table of its own ids, by a hash computed a line ahead) ask
// for it through this. A prefetch never faults, whatever the address.
static inline void ledger_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }
#endif
