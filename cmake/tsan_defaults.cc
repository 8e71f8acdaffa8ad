// ThreadSanitizer's settings, built into every executable of the tsan preset, so that a test
// binary run by hand behaves as under ctest. TSAN_OPTIONS in the environment still adds to or
// overrides them (docs/testing.md).
//
// CT_TSAN_SUPPRESSIONS is cmake/tsan.supp's absolute path, set by cmake/sanitizers.cmake.
extern "C" const char* __tsan_default_options() {
  // second_deadlock_stack: a lock-order report shows where both locks were taken.
  // history_size=4: keeps more of each thread's past accesses (the "failed to restore the stack"
  // case of long tests) at a little more memory.
  return "suppressions=" CT_TSAN_SUPPRESSIONS " second_deadlock_stack=1 history_size=4";
}
