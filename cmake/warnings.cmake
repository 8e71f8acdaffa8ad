# The warning set every target is built with; the `ci` preset turns them into errors.
function(ct_apply_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Woverloaded-virtual -Wconversion -Wsign-conversion -Wdouble-promotion
    -Wformat=2 -Wimplicit-fallthrough)
  if(CT_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
