# SPDX-License-Identifier: Apache-2.0
# Warnings for ctxflow's own targets. CTXFLOW_WERROR (on in CI) turns them into errors.
option(CTXFLOW_WERROR "Treat warnings in ctxflow's own code as errors" OFF)
mark_as_advanced(CTXFLOW_WERROR)

function(ctxflow_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
  if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    target_compile_options(${target} PRIVATE -Wthread-safety)
  endif()
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 at -O2 reports -Wrestrict inside libstdc++'s own std::string code for ordinary
    # expressions such as `"literal" + std::move(str)` (GCC bugs 105329, 105651; fixed in 13).
    target_compile_options(${target} PRIVATE -Wno-restrict)
  endif()
  if(CTXFLOW_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
