# The sanitizers, one set per build: ASan + UBSan (CT_SANITIZE, the `debug` preset) or
# ThreadSanitizer (CT_SANITIZE_THREAD, the `tsan` preset). ThreadSanitizer cannot share a process
# with AddressSanitizer, hence two builds.
option(CT_SANITIZE_THREAD "Build with ThreadSanitizer (the tsan preset; clang)" OFF)
if(CT_SANITIZE AND CT_SANITIZE_THREAD)
  message(FATAL_ERROR "CT_SANITIZE (ASan+UBSan) and CT_SANITIZE_THREAD (TSan) cannot be combined; "
                      "use the debug preset for one and the tsan preset for the other")
endif()

# Linked into every TSan executable: its default options and suppressions (tsan_defaults.cc), and
# C11 threads that TSan can see, since librdkafka's are invisible to it (tsan_c11_threads.cc).
if(CT_SANITIZE_THREAD)
  add_library(ct_tsan_runtime OBJECT ${CMAKE_CURRENT_LIST_DIR}/tsan_defaults.cc
                                     ${CMAKE_CURRENT_LIST_DIR}/tsan_c11_threads.cc)
  target_compile_options(ct_tsan_runtime PRIVATE -fsanitize=thread)
  target_compile_definitions(ct_tsan_runtime PRIVATE CT_TSAN_SUPPRESSIONS="${CMAKE_CURRENT_LIST_DIR}/tsan.supp")
endif()

function(ct_apply_sanitizers target)
  if(CT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  elseif(CT_SANITIZE_THREAD)
    target_compile_options(${target} PRIVATE -fsanitize=thread -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=thread)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_link_libraries(${target} PRIVATE ct_tsan_runtime)
    endif()
  endif()
endfunction()
