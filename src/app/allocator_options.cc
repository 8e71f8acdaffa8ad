// jemalloc's options, read by jemalloc from this symbol when it starts (jemalloc's "malloc_conf"):
// compiled into the binaries that link it (cmake/clicktrail.cmake, ct_use_jemalloc).
//
// tcache_max: librdkafka compresses each message batch with a new LZ4 frame context, whose
// ~68 KiB state it callocs and frees per batch. Above the default tcache_max (32 KiB) that block
// comes from the arena, which zeroes a recycled block by handing its pages back to the kernel
// (madvise MADV_DONTNEED) and faulting in fresh zero pages: ~650 madvise calls a second, page
// faults and TLB shootdowns on the producer's thread, about 5% of the collector's CPU at
// saturation (bench/README.md). Caching blocks up to 128 KiB per thread turns that into a memset.
// MALLOC_CONF in the environment still overrides it.
extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface
const char* malloc_conf = "tcache_max:131072";
}
