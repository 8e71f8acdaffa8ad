# AddressSanitizer + UndefinedBehaviorSanitizer for the `debug` preset.
function(ct_apply_sanitizers target)
  if(CT_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
