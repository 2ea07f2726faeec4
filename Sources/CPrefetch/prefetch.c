// CPrefetch is a header of static inline functions; SwiftPM wants one source file per C target.
#include "CPrefetch.h"
