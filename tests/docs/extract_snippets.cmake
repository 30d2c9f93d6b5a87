# SPDX-License-Identifier: Apache-2.0
# docs_extract_snippets(<root> <page> <out dir> <out var>): writes each ```cpp block of
# <root>/<page> to <out dir>/<target>.cpp and sets <out var> to a list of
# "<target>|<test name>|<file>|<kind>", kind being `main` (a program), `unit` (a translation unit
# without main) or `partial` (wrapped; see CMakeLists.txt). A block's name is the page's path,
# and the line of its opening fence: the test is docs/usage/tracing.md:42, where the compiler
# would point, and the target docs_usage_tracing_md_L42. `#line` directives make the compiler name the Markdown
# file and line.

# Characters that CMake lists would otherwise interpret (a backslash at the end of a line would
# join it to the next), swapped for control characters while a
# page is handled as a list of lines.
string(ASCII 1 docs_semicolon)
string(ASCII 2 docs_open_bracket)
string(ASCII 3 docs_close_bracket)
string(ASCII 4 docs_backslash)

function(docs_write_if_changed file content)
  if(EXISTS "${file}")
    file(READ "${file}" old)
    if(old STREQUAL content)
      return()
    endif()
  endif()
  file(WRITE "${file}" "${content}")
endfunction()

function(docs_restore out text)
  string(REPLACE "${docs_semicolon}" ";" text "${text}")
  string(REPLACE "${docs_open_bracket}" "[" text "${text}")
  string(REPLACE "${docs_close_bracket}" "]" text "${text}")
  string(REPLACE "${docs_backslash}" "\\" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

function(docs_extract_snippets root page out_dir out_var)
  file(READ "${root}/${page}" text)
  string(REPLACE "\\" "${docs_backslash}" text "${text}")
  string(REPLACE ";" "${docs_semicolon}" text "${text}")
  string(REPLACE "[" "${docs_open_bracket}" text "${text}")
  string(REPLACE "]" "${docs_close_bracket}" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")

  string(REGEX REPLACE "^docs/" "" short "${page}")
  string(MAKE_C_IDENTIFIER "docs.${short}" target_base)

  set(result "")
  set(line_no 0)
  set(fence "")          # "" outside a fence, "cpp" in a C++ block, "other" in any other
  set(previous "")
  foreach(line IN LISTS lines)
    math(EXPR line_no "${line_no} + 1")
    if(fence STREQUAL "")
      if(line MATCHES "^[ \t]*```[ \t]*cpp[ \t]*$")
        set(fence cpp)
        set(start ${line_no})
        set(body "")
        set(mode unit)
        if(previous MATCHES "^[ \t]*<!--[ \t]*snippet:[ \t]*partial[ \t]*,[ \t]*namespace-scope[ \t]*-->[ \t]*$")
          set(mode namespace)
        elseif(previous MATCHES "^[ \t]*<!--[ \t]*snippet:[ \t]*partial[ \t]*-->[ \t]*$")
          set(mode partial)
        elseif(previous MATCHES "<!--[ \t]*snippet:")
          message(FATAL_ERROR "${page}:${line_no}: unknown snippet marker: ${previous}")
        endif()
      elseif(line MATCHES "^[ \t]*```")
        set(fence other)
      endif()
    elseif(line MATCHES "^[ \t]*```[ \t]*$")
      if(fence STREQUAL "cpp")
        docs_restore(body "${body}")
        set(target "${target_base}_L${start}")
        set(test_name "${page}:${start}")
        math(EXPR first "${start} + 1")
        set(origin "#line ${first} \"${page}\"\n")
        if(mode STREQUAL "unit")
          if(body MATCHES "int main\\(")
            set(kind main)
          else()
            set(kind unit)
          endif()
          set(source "${origin}${body}")
        else()
          set(kind partial)
          set(source "// ${page}:${start}, a partial block (see tests/docs/CMakeLists.txt)\n"
                     "#include \"docs_everything.hpp\"\n"
                     "#pragma GCC diagnostic ignored \"-Wunused-variable\"\n"
                     "#pragma GCC diagnostic ignored \"-Wunused-but-set-variable\"\n"
                     "#pragma GCC diagnostic ignored \"-Wunused-function\"\n"
                     "#pragma GCC diagnostic ignored \"-Wunused-parameter\"\n"
                     "#pragma GCC diagnostic ignored \"-Wunused-local-typedefs\"\n")
          string(CONCAT source ${source})
          if(mode STREQUAL "namespace")
            string(APPEND source "${origin}${body}")
          else()
            string(APPEND source "[[maybe_unused]] static void snippet_L${start}() {\n"
                                 "${origin}${body}}\n")
          endif()
        endif()
        docs_write_if_changed("${out_dir}/${target}.cpp" "${source}")
        list(APPEND result "${target}|${test_name}|${out_dir}/${target}.cpp|${kind}")
      endif()
      set(fence "")
    elseif(fence STREQUAL "cpp")
      string(APPEND body "${line}\n")
    endif()
    set(previous "${line}")
  endforeach()
  if(NOT fence STREQUAL "")
    message(FATAL_ERROR "${page}: a code block is not closed")
  endif()
  set(${out_var} "${result}" PARENT_SCOPE)
endfunction()
