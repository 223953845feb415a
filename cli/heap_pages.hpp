// The `migrate` process's heap: where the machine allows it, backed by transparent huge pages.
#pragma once

namespace migrate::cli {

// Reserves the start of the heap and advises the kernel to back it with transparent huge pages
// (2 MiB), and keeps freed memory in the heap for reuse. Linting a directory of hundreds of
// migrations touches tens of MiB of fresh memory (parse trees, the SQLite copy, the JSON
// document); on virtual machines where each 4 KiB page fault costs a trap into the hypervisor,
// those faults were a third of `lint`'s time (docs/benchmarks.md). Called once, first thing in
// main: a process-wide malloc policy is the program's choice, so libmigrate never makes it.
// Does nothing where glibc's malloc or MADV_HUGEPAGE is missing; when the kernel's THP mode is
// `never` the advice is ignored and only the reuse of freed memory remains.
void use_huge_pages_for_heap();

}  // namespace migrate::cli
