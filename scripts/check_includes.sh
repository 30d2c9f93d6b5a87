#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks every #include between ctxflow's modules against the module map in MAINTAINERS.md
# ("Module map": one row per module, the modules it may use directly). A module may include its
# own files, the top-level headers (ctxflow/export.hpp, macros.hpp, config.hpp), and the modules
# it may use, directly or through them. Also:
#   - the map itself must be acyclic (so the include graph it allows is acyclic);
#   - no file includes another module's detail/ headers (detail/ is private to its module), nor
#     another module's private headers under src/ (only src/base/ and src/internal/ are shared);
#   - the instrumentation API (context, exec, coro, trace, propagation) never includes <iostream>.
# The module of a file is its first folder under include/ctxflow/ or src/, except that
# integrations/<x> is a module of its own for each <x>. CMake states the same edges as link
# dependencies (ctxflow_add_library in each src/<module>/CMakeLists.txt); this check covers the
# headers, which the linker cannot see.
# Usage: scripts/check_includes.sh [--root DIR]   checks DIR (default: this repository)
#        scripts/check_includes.sh --self-test    proves the rules catch what they should
set -euo pipefail

script_path="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$script_path")/.." && pwd)"
api_modules=" context exec coro trace propagation "

declare -A deps=()     # module -> its direct dependencies (space-separated)
declare -A allowed=()  # module -> " itself and everything it may use, transitively "

# load_map <MAINTAINERS.md>: reads the table rows of the "Module map" section:
#   | `module` | ... | `dep`, `dep` |   (the last column lists the direct dependencies; "—": none)
load_map() {
  local file="$1" in_section=0 line module last
  deps=()
  while IFS= read -r line || [[ -n "$line" ]]; do
    if [[ "$line" =~ ^##[[:space:]] ]]; then
      [[ "$line" =~ ^##[[:space:]]+Module[[:space:]]map ]] && in_section=1 || in_section=0
      continue
    fi
    ((in_section)) || continue
    [[ "$line" =~ ^\|[[:space:]]*\`([a-z_/]+)\`[[:space:]]*\| ]] || continue
    module="${BASH_REMATCH[1]}"
    last="${line%|}"
    last="${last##*|}"
    deps[$module]="$(grep -o '`[a-z_/]*`' <<<"$last" | tr -d '`' | tr '\n' ' ' || true)"
  done <"$file"
  if ((${#deps[@]} == 0)); then
    echo "check_includes: no module map found in $file" >&2
    return 2
  fi
}

# close_map: fills `allowed` with each module's transitive dependencies; fails on a cycle or
# on a dependency that is not a module of the map.
close_map() {
  local m bad=0
  declare -A state=()  # 1 visiting, 2 done
  visit() {
    local mod="$1" d acc
    if [[ "${state[$mod]:-}" == 1 ]]; then
      echo "check_includes: the module map has a cycle through '$mod'"
      bad=1
      return
    fi
    [[ "${state[$mod]:-}" == 2 ]] && return
    state[$mod]=1
    acc=" $mod "
    for d in ${deps[$mod]}; do
      if [[ -z "${deps[$d]+x}" ]]; then
        echo "check_includes: module '$mod' uses '$d', which is not in the module map"
        bad=1
        continue
      fi
      visit "$d"
      acc+="${allowed[$d]:-} "
    done
    allowed[$mod]="$acc"
    state[$mod]=2
  }
  for m in "${!deps[@]}"; do visit "$m"; done
  return "$bad"
}

# module_of <path relative to include/ctxflow or src>: prints the module, or "" for a top-level
# file.
module_of() {
  local p="$1"
  [[ "$p" == */* ]] || return 0
  if [[ "$p" == integrations/*/* ]]; then
    p="${p#integrations/}"
    echo "integrations/${p%%/*}"
  else
    echo "${p%%/*}"
  fi
}

# check_file <file> <path relative to its tree> <tree: include|src> <root>
check_file() {
  local file="$1" rel="$2" kind="$3" top="$4" module lineno=0 line path target tmodule msg private
  module="$(module_of "$rel")"
  [[ -n "$module" ]] || return 0
  local shown="src/$rel"
  [[ "$kind" == include ]] && shown="include/ctxflow/$rel"
  if [[ -z "${deps[$module]+x}" ]]; then
    echo "$shown: module '$module' is not in the module map (MAINTAINERS.md)"
    return 1
  fi
  local bad=0
  while IFS= read -r line || [[ -n "$line" ]]; do
    lineno=$((lineno + 1))
    [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\"\<])([^\"\>]+)[\"\>] ]] || continue
    path="${BASH_REMATCH[2]}"
    msg=""
    target=""
    tmodule=""
    private=0
    if [[ "$path" == ctxflow/* ]]; then
      target="${path#ctxflow/}"
    elif [[ "${BASH_REMATCH[1]}" == '"' && -e "$top/src/$path" && "$path" == */* ]]; then
      target="$path"  # a private header, relative to src/
      private=1
    fi
    [[ -z "$target" ]] || tmodule="$(module_of "$target")"
    if ((private)) && [[ "$tmodule" != "$module" && "$tmodule" != base && "$tmodule" != internal ]]; then
      msg="src/$target is private to $tmodule (only base/ and internal/ headers are shared)"
    elif [[ -n "$tmodule" && " ${allowed[$module]} " != *" $tmodule "* ]]; then
      msg="$module may not use $tmodule (module map in MAINTAINERS.md)"
    elif [[ -n "$tmodule" && "$tmodule" != "$module" && "$target" == */detail/* ]]; then
      msg="$target is private to $tmodule (detail/)"
    elif [[ -z "$target" && "$path" == iostream && "$kind" == include &&
            "$api_modules" == *" $module "* ]]; then
      msg="the instrumentation API (${api_modules# }) may not include <iostream>"
    fi
    if [[ -n "$msg" ]]; then
      echo "$shown:$lineno: includes $path: $msg"
      bad=1
    fi
  done <"$file"
  return "$bad"
}

# check_tree <root>: prints one line per violation; returns 1 when there is any.
check_tree() {
  local top="$1" bad=0 file
  load_map "$top/MAINTAINERS.md" || return 2
  close_map || return 1
  while IFS= read -r -d '' file; do
    check_file "$file" "${file#"$top/include/ctxflow/"}" include "$top" || bad=1
  done < <(find "$top/include/ctxflow" -type f \( -name '*.hpp' -o -name '*.h' \) -print0 | sort -z)
  if [[ -d "$top/src" ]]; then
    while IFS= read -r -d '' file; do
      check_file "$file" "${file#"$top/src/"}" src "$top" || bad=1
    done < <(find "$top/src" -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' \) -print0 | sort -z)
  fi
  return "$bad"
}

self_test() (
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mk() { mkdir -p "$(dirname "$tmp/$1")"; printf '%s\n' "${@:2}" >"$tmp/$1"; }
  mk MAINTAINERS.md '# Notes' '## Module map' '| module | may use |' '|---|---|' \
    '| `context` | — |' '| `exec` | `context` |' '| `trace` | `context` |' \
    '| `propagation` | `trace` |' '| `sdk` | `propagation`, `exec` |' \
    '| `integrations/asio` | `exec` |' '| `integrations/http` | `integrations/asio`, `propagation` |' \
    '## Other' '| `bogus` | `context` |'
  # Allowed includes: none of these may be reported.
  mk include/ctxflow/context/a.hpp '#include "ctxflow/context/detail/b.hpp"' '#include "ctxflow/export.hpp"' '#include <string>' '// #include <iostream>'
  mk include/ctxflow/context/detail/b.hpp '#include <ctxflow/config.hpp>'
  mk include/ctxflow/propagation/p.hpp '#include "ctxflow/trace/t.hpp"' '#include "ctxflow/context/a.hpp"'
  mk include/ctxflow/sdk/s.hpp '#include "ctxflow/propagation/p.hpp"' '#include "ctxflow/context/a.hpp"' '#include <iostream>'
  mk include/ctxflow/integrations/http/h.hpp '#include "ctxflow/integrations/asio/i.hpp"' '#include "ctxflow/trace/t.hpp"'
  mk src/sdk/x.cpp '#include "sdk/y.hpp"' '#include "ctxflow/exec/e.hpp"'
  mk src/sdk/y.hpp '#include "ctxflow/macros.hpp"'
  if ! out="$(check_tree "$tmp")"; then
    echo "check_includes self-test: a clean tree was rejected:" >&2; echo "$out" >&2; return 1
  fi
  # Forbidden includes: each line below must be reported exactly once.
  mk include/ctxflow/context/bad.hpp '#include "ctxflow/exec/e.hpp"' '  #  include <iostream>'
  mk include/ctxflow/trace/bad.hpp '#include "ctxflow/propagation/p.hpp"' '#include "ctxflow/context/detail/b.hpp"'
  mk include/ctxflow/integrations/asio/bad.hpp '#include "ctxflow/integrations/http/h.hpp"'
  mk src/propagation/bad.cpp '#include "sdk/y.hpp"' '#include "ctxflow/exec/e.hpp"'
  mk src/propagation/z.hpp '#include <cstdint>'
  mk src/sdk/bad.cpp '#include "propagation/z.hpp"'
  if out="$(check_tree "$tmp")"; then
    echo "check_includes self-test: forbidden includes were accepted" >&2; return 1
  fi
  count="$(grep -c ': includes ' <<<"$out" || true)"
  if [[ "$count" != 8 ]] || grep -v '/bad\.[ch]pp:' <<<"$out" | grep -q .; then
    echo "check_includes self-test: expected 8 violations, all in bad.hpp/bad.cpp, got $count:" >&2
    echo "$out" >&2
    return 1
  fi
  # A cycle in the map, and an unknown module, are errors of the map itself.
  mk MAINTAINERS.md '## Module map' '| `context` | `exec` |' '| `exec` | `context` |'
  if out="$(check_tree "$tmp" 2>&1)" || ! grep -q 'cycle' <<<"$out"; then
    echo "check_includes self-test: a cyclic module map was accepted" >&2; echo "$out" >&2; return 1
  fi
  mk MAINTAINERS.md '## Module map' '| `context` | `nowhere` |'
  if out="$(check_tree "$tmp" 2>&1)" || ! grep -q 'not in the module map' <<<"$out"; then
    echo "check_includes self-test: an unknown dependency was accepted" >&2; echo "$out" >&2; return 1
  fi
  [[ -z "${CHECK_INCLUDES_VERBOSE:-}" ]] || echo "$out"
  echo "check_includes self-test: ok (clean tree accepted, 8/8 violations found, cyclic and unknown maps rejected)"
)

case "${1:-}" in
  --self-test) self_test ;;
  --root) root="$(cd "$2" && pwd)"; check_tree "$root" && echo "check_includes: ok" ;;
  "")
    check_tree "$root" &&
      echo "check_includes: ok ($(find "$root/include/ctxflow" "$root/src" -type f | wc -l) files, ${#deps[@]} modules)" ;;
  *) echo "usage: $0 [--root DIR | --self-test]" >&2; exit 2 ;;
esac
