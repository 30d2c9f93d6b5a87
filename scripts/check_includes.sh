#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Enforces the one-way dependency direction of the public headers under include/ctxflow/:
#   context ← exec/coro ← propagation ← trace ← sdk ← exporters; integrations and testing on top.
# Every module may include ctxflow/export.hpp, config.hpp, version.hpp and fwd.hpp (forward
# declarations only); no library header may include the umbrella ctxflow/ctxflow.hpp.
# The instrumentation API (context, exec, coro, propagation, trace) never includes <iostream>.
# Usage: tools/check_includes.sh [--root DIR]   checks DIR/include/ctxflow (default: this repo)
#        tools/check_includes.sh --self-test    proves the rules catch what they should
set -euo pipefail

script_path="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$script_path")/.." && pwd)"

# The trace headers propagation may include; they are leaf value types and may themselves
# include only context/ and each other.
trace_leaves_list="trace/span_context.hpp trace/trace_state.hpp trace/span_kind.hpp"
api_modules_list="context exec coro propagation trace"
trace_leaves=" $trace_leaves_list "  # padded for " word " membership tests
api_modules=" $api_modules_list "

# rule_for <file, relative to include/ctxflow> <target, relative to include/ctxflow>
# Sets rule_msg to why the include is forbidden, or to "" when it is allowed.
rule_for() {
  local file="$1" target="$2"
  local module="${file%%/*}" tmodule="${target%%/*}"
  rule_msg=""
  [[ "$file" == */* ]] || return 0                    # top-level headers: no rule
  case "$target" in export.hpp | config.hpp | version.hpp | fwd.hpp) return 0 ;; esac
  [[ "$target" == */* ]] || tmodule="(top-level)"
  if [[ "$target" == ctxflow.hpp ]]; then
    rule_msg="the umbrella header is for applications; library headers include what they use"
    return 0
  fi

  if [[ "$trace_leaves" == *" $file "* ]]; then
    [[ "$tmodule" == context || "$trace_leaves" == *" $target "* ]] ||
      rule_msg="the leaf header $file may include only context/ and the other trace leaf headers"
    return 0
  fi
  case "$module" in
    context)
      [[ "$tmodule" == context ]] ||
        rule_msg="context/ may include only context/ and export.hpp" ;;
    exec | coro)
      [[ "$tmodule" == context || "$tmodule" == exec || "$tmodule" == coro ]] ||
        rule_msg="$module/ may include only context/, exec/ and coro/" ;;
    propagation)
      [[ "$tmodule" == context || "$tmodule" == propagation || "$trace_leaves" == *" $target "* ]] ||
        rule_msg="propagation/ may include only context/, propagation/ and the trace leaf headers (${trace_leaves_list})" ;;
    trace)
      case "$tmodule" in sdk | exporters | integrations | testing | tools | "(top-level)")
        rule_msg="trace/ is API: it may not include $tmodule/ (sdk, exporters, integrations, testing sit above it)" ;;
      esac ;;
    sdk)
      case "$tmodule" in exporters | integrations | testing | tools | "(top-level)")
        rule_msg="sdk/ may not include $tmodule/ (exporters, integrations and testing sit above it)" ;;
      esac ;;
    exporters)
      case "$tmodule" in integrations | testing | tools | "(top-level)")
        rule_msg="exporters/ may not include $tmodule/ (integrations and testing sit above it)" ;;
      esac ;;
  esac
}

# check_tree <root>: prints one line per violation; returns 1 when there is any.
check_tree() {
  local tree="$1/include/ctxflow" bad=0 file rel lineno line path target dir msg
  [[ -d "$tree" ]] || { echo "check_includes: no $tree" >&2; return 2; }
  while IFS= read -r -d '' file; do
    rel="${file#"$tree"/}"
    lineno=0
    while IFS= read -r line || [[ -n "$line" ]]; do
      lineno=$((lineno + 1))
      [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*([\"\<])([^\"\>]+)[\"\>] ]] || continue
      path="${BASH_REMATCH[2]}"
      target=""
      if [[ "$path" == ctxflow/* ]]; then
        target="${path#ctxflow/}"
      elif [[ "${BASH_REMATCH[1]}" == '"' && -e "$(dirname "$file")/$path" ]]; then
        dir="$(cd "$(dirname "$file")/$(dirname "$path")" && pwd)"
        target="${dir#"$(cd "$tree" && pwd)"}/$(basename "$path")"
        target="${target#/}"
      fi
      msg=""
      if [[ -n "$target" ]]; then
        rule_for "$rel" "$target"
        msg="$rule_msg"
      elif [[ "$path" == iostream && "$api_modules" == *" ${rel%%/*} "* && "$rel" == */* ]]; then
        msg="the instrumentation API (${api_modules_list}) may not include <iostream>"
      fi
      if [[ -n "$msg" ]]; then
        echo "include/ctxflow/$rel:$lineno: includes $path: $msg"
        bad=1
      fi
    done <"$file"
  done < <(find "$tree" -type f \( -name '*.hpp' -o -name '*.h' -o -name '*.ipp' -o -name '*.inl' \) -print0 | sort -z)
  return "$bad"
}

self_test() (
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mk() { mkdir -p "$(dirname "$tmp/include/ctxflow/$1")"; printf '%s\n' "${@:2}" >"$tmp/include/ctxflow/$1"; }
  # Allowed includes: none of these may be reported.
  mk context/a.hpp '#include "ctxflow/context/b.hpp"' '#include "ctxflow/export.hpp"' '#include <string>' '// #include <iostream>'
  mk context/detail/b.hpp '#include "../a.hpp"' '#include <ctxflow/config.hpp>'
  mk exec/e.hpp '#include "ctxflow/coro/t.hpp"' '#include "ctxflow/context/a.hpp"'
  mk coro/t.hpp '#include "ctxflow/exec/e.hpp"'
  mk propagation/p.hpp '#include "ctxflow/trace/span_context.hpp"' '#include "ctxflow/trace/span_kind.hpp"'
  mk trace/span_context.hpp '#include "ctxflow/trace/trace_state.hpp"' '#include "ctxflow/context/a.hpp"'
  mk trace/tracer.hpp '#include "ctxflow/propagation/p.hpp"' '#include "ctxflow/exec/e.hpp"'
  mk sdk/s.hpp '#include "ctxflow/trace/tracer.hpp"' '#include <iostream>'
  mk exporters/x.hpp '#include "ctxflow/sdk/s.hpp"'
  mk testing/t.hpp '#include "ctxflow/exporters/x.hpp"' '#include "ctxflow/integrations/asio/i.hpp"'
  mk integrations/asio/i.hpp '#include "ctxflow/sdk/s.hpp"' '#include <iostream>'
  if ! out="$(check_tree "$tmp")"; then
    echo "check_includes self-test: a clean tree was rejected:" >&2; echo "$out" >&2; return 1
  fi
  # Forbidden includes: each line below must be reported exactly once.
  mk context/bad.hpp '#include "ctxflow/exec/e.hpp"' '  #  include <iostream>' '#include "../trace/tracer.hpp"'
  mk exec/bad.hpp '#include "ctxflow/propagation/p.hpp"'
  mk coro/bad.hpp '#include <ctxflow/trace/tracer.hpp>'
  mk propagation/bad.hpp '#include "ctxflow/trace/tracer.hpp"' '#include "ctxflow/exec/e.hpp"'
  mk trace/bad.hpp '#include "ctxflow/sdk/s.hpp"' '#include "ctxflow/testing/t.hpp"' '#include <iostream>'
  mk trace/span_kind.hpp '#include "ctxflow/trace/tracer.hpp"'
  mk sdk/bad.hpp '#include "ctxflow/integrations/asio/i.hpp"' '#include "ctxflow/exporters/x.hpp"'
  mk exporters/bad.hpp '#include "ctxflow/testing/t.hpp"'
  mk testing/bad.hpp '#include "ctxflow/ctxflow.hpp"' '#include "ctxflow/fwd.hpp"'
  if out="$(check_tree "$tmp")"; then
    echo "check_includes self-test: forbidden includes were accepted" >&2; return 1
  fi
  count="$(grep -c ': includes ' <<<"$out" || true)"
  if [[ "$count" != 15 ]] || grep -v -e '/bad.hpp:' -e '/trace/span_kind.hpp:' <<<"$out" | grep -q .; then
    echo "check_includes self-test: expected 15 violations in bad.hpp/span_kind.hpp, got $count:" >&2
    echo "$out" >&2
    return 1
  fi
  [[ -z "${CHECK_INCLUDES_VERBOSE:-}" ]] || echo "$out"
  echo "check_includes self-test: ok (clean tree accepted, 15/15 violations found)"
)

case "${1:-}" in
  --self-test) self_test ;;
  --root) root="$(cd "$2" && pwd)"; check_tree "$root" && echo "check_includes: ok" ;;
  "") check_tree "$root" && echo "check_includes: ok ($(find "$root/include/ctxflow" -type f | wc -l) headers)" ;;
  *) echo "usage: $0 [--root DIR | --self-test]" >&2; exit 2 ;;
esac
