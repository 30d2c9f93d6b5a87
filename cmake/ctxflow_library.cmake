# SPDX-License-Identifier: Apache-2.0
# ctxflow_add_library: the one way a ctxflow library target is defined. Every module folder
# under src/ calls it once (twice where a folder holds an optional part), so each module is one
# target whose dependencies are written where it is defined and enforced by the linker.
#
#   ctxflow_add_library(<name>
#     [INTERFACE]            header-only, or an umbrella that only links other targets
#     [INTERNAL]             private helpers shared by modules; always a static archive, never
#                            part of the public API (the name ends in _internal by convention)
#     [SOURCES files...]
#     [DEPS targets...]      public dependencies: what this module's public headers include
#     [PRIVATE_DEPS targets...]  what only its sources use)
#
# It creates ctxflow_<name> with the alias ctxflow::<name> (also its exported name), hidden
# symbol visibility, position-independent code, the project's warnings, the private include
# path src/ (for the internal headers), and adds it to the installed targets. Shared builds link
# each module with --no-undefined (CI builds the modules that way in the `noexcept` stage).
function(ctxflow_add_library name)
  cmake_parse_arguments(arg "INTERFACE;INTERNAL" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target ctxflow_${name})
  if(arg_INTERFACE)
    add_library(${target} INTERFACE)
    target_link_libraries(${target} INTERFACE ${arg_DEPS})
  else()
    if(arg_INTERNAL)
      add_library(${target} STATIC ${arg_SOURCES})
    else()
      add_library(${target} ${arg_SOURCES})
    endif()
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${target}
      CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON POSITION_INDEPENDENT_CODE ON)
    target_link_libraries(${target} PUBLIC ${arg_DEPS} PRIVATE ${arg_PRIVATE_DEPS})
    target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src)
    if(BUILD_SHARED_LIBS AND NOT arg_INTERNAL)
      target_compile_definitions(${target} PRIVATE CTXFLOW_BUILDING_SHARED)
      # The linker enforces the module map: a shared module must resolve every symbol it uses
      # from the modules it links, so using a module it does not name fails to link.
      target_link_options(${target} PRIVATE "LINKER:--no-undefined")
    endif()
    ctxflow_set_warnings(${target})
  endif()
  set_target_properties(${target} PROPERTIES EXPORT_NAME ${name})
  add_library(ctxflow::${name} ALIAS ${target})
  set(CTXFLOW_INSTALL_TARGETS ${CTXFLOW_INSTALL_TARGETS} ${target} CACHE INTERNAL "")
endfunction()
