#include "cli/heap_pages.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace migrate::cli {

void use_huge_pages_for_heap() {
#if defined(__linux__) && defined(__GLIBC__) && defined(MADV_HUGEPAGE)
  constexpr std::size_t kHugePage = std::size_t{2} << 20;
  // glibc's largest mmap threshold on 64-bit is 32 MiB: blocks below it come from the heap
  // (inside the advised range) instead of from fresh mappings of 4 KiB pages.
  constexpr int kMmapThreshold = 32 << 20;
  constexpr std::size_t kReserve = std::size_t{30} << 20;
  if (mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 0) return;
  // Freed memory stays in the heap (already faulted in) rather than going back to the kernel,
  // up to 64 MiB: a long `apply` does not hold on to more than that once it is done with it.
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  // Later growth in large steps, so the heap is extended rarely.
  mallopt(M_TOP_PAD, 16 << 20);
  auto* const before = static_cast<char*>(sbrk(0));
  // Grows the heap by kReserve plus the pad, touching only the block's header; freed at once,
  // the space is the heap's free top for every later allocation.
  // volatile: the compiler may otherwise drop a malloc whose block is only freed.
  void* volatile block = std::malloc(kReserve);
  auto* const after = static_cast<char*>(sbrk(0));
  std::free(block);
  if (before == reinterpret_cast<char*>(-1) || after <= before) return;
  const auto begin = (reinterpret_cast<std::uintptr_t>(before) + kHugePage - 1) & ~(kHugePage - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(after) & ~(kHugePage - 1);
  // Advice only: refused (THP disabled, an old kernel), the heap keeps its 4 KiB pages.
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

}  // namespace migrate::cli
