#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks that every document the repository cites is in the repository and says what is cited:
#   (a) a cited `.md` file exists (relative to the citing file's folder, or to the repository
#       root; URLs are not checked);
#   (b) a cited section exists in it: `file.md §N` (a heading numbered N), `file.md#anchor`
#       (a heading whose GitHub anchor is that), `file.md, "Title"` or `file.md ("Title")` (a
#       heading, or a bold `**Title` label, that starts with Title); a `](#anchor)` link inside a
#       Markdown file names a heading of that file;
#   (c) every requirement number cited (R1.2, R7.8a) is a row of docs/requirements.md, and every
#       group cited (R10, R7.x) is a numbered section of it;
#   (d) every context rule cited (C1, C10) is a row of the rules table of docs/design/context.md;
#   (e) no file cites notes that are not part of the repository by a bare name or number
#       (`design §5`, `style §5`, `spec-requirements`, `Appendix A.9`);
#   (f) every test docs/requirements.md names (`<module>/<name>_test.cpp`: `Suite.Name`) is a
#       TEST of that file under tests/.
# Scanned: include/ src/ tests/ docs/ benchmarks/ examples/ fuzz/ scripts/ cmake/ tools/,
# README.md and MAINTAINERS.md (text files; this script itself is left out).
# Usage: scripts/check_docs.sh [--root DIR]   checks DIR (default: this repository)
#        scripts/check_docs.sh --self-test    proves each rule catches what it should
set -euo pipefail
export LC_ALL=C

script_path="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
root="$(cd "$(dirname "$script_path")/.." && pwd)"

scan_dirs=(include src tests docs benchmarks examples fuzz scripts cmake tools)
scan_files=(README.md MAINTAINERS.md)

# What a citation of a Markdown file looks like, with what may follow it. URLs, paths built from
# shell variables and the text of Markdown links ("[text](") are matched too, so that they are
# consumed whole and skipped.
sect='§[[:space:]]*[0-9]+(\.[0-9]+)*'
md_pat="https?://[^[:space:])>\"'\`]+|\\\$\\{?[A-Za-z_][A-Za-z0-9_]*\\}?/[A-Za-z0-9_./-]*|\\[[^]]*\\]\\(|[A-Za-z0-9_./-]*[A-Za-z0-9_-]\\.md(#[A-Za-z0-9_-]+)?(,?[[:space:]]*\\(?(${sect}([[:space:]]*(-|,|and|/)[[:space:]]*${sect})*|\"[^\"]+\"))?"

# headings <file>: the file's headings, outside fenced code blocks, without the leading #s.
headings() {
  awk '/^[ \t]*(```|~~~)/ { fence = !fence; next }
       !fence && /^#+[ \t]/ { sub(/^#+[ \t]+/, ""); print }' "$1"
}

# load <file>: caches the file's headings (raw), their GitHub anchors, and their normalised form
# (lower case, no backticks, no leading section number) in head_raw, head_slug and head_norm.
declare -A head_raw=() head_slug=() head_norm=()
load() {
  [[ -n "${head_raw[$1]+x}" ]] && return 0
  head_raw["$1"]="$(headings "$1")"
  head_slug["$1"]="$(tr '[:upper:]' '[:lower:]' <<<"${head_raw[$1]}" | sed -e 's/[^a-z0-9 _-]//g' -e 's/ /-/g')"
  head_norm["$1"]="$(tr '[:upper:]' '[:lower:]' <<<"${head_raw[$1]}" | sed -e 's/`//g' -e 's/^[0-9][0-9.]*[[:space:]]\{1,\}//')"
}

# has_number <file> <N>: a heading numbered N ("N. Title" or "N Title").
has_number() {
  load "$1"
  grep -Eq "^${2//./\\.}(\\.|[[:space:]]|\$)" <<<"${head_raw[$1]}"
}

# has_anchor <file> <anchor>: a heading whose GitHub anchor is anchor (or anchor-1, ... for
# repeated headings).
has_anchor() {
  local base="$2"
  [[ "$2" =~ ^(.+)-[0-9]+$ ]] && base="${BASH_REMATCH[1]}"
  load "$1"
  grep -Fxq -e "$2" -e "$base" <<<"${head_slug[$1]}"
}

# has_title <file> <title>: a heading, or a bold label, that starts with title (any case).
has_title() {
  local h t
  load "$1"
  t="$(tr '[:upper:]' '[:lower:]' <<<"${2//\`/}")"
  while IFS= read -r h; do
    [[ "$h" == "$t"* ]] && return 0
  done <<<"${head_norm[$1]}"
  grep -Fiq -- "**$2" "$1"
}

# resolve <citing file> <path>: prints the cited file, or nothing.
resolve() {
  local from="$1" path="$2" dir
  dir="$(dirname "$from")"
  if [[ "$path" != /* && -f "$dir/$path" ]]; then
    printf '%s' "$dir/$path"
  elif [[ -f "$tree/${path#/}" ]]; then
    printf '%s' "$tree/${path#/}"
  fi
}

# check_section <where> <cited file (as written)> <resolved file> <section text>
check_section() {
  local where="$1" name="$2" file="$3" spec="$4" n
  if [[ "$spec" == \#* ]]; then
    has_anchor "$file" "${spec#\#}" || fail "$where" "$name has no heading with the anchor $spec"
  elif [[ "$spec" == *'"'* ]]; then
    spec="${spec#*\"}"; spec="${spec%\"*}"
    has_title "$file" "$spec" || fail "$where" "$name has no section \"$spec\""
  elif [[ "$spec" == *'§'* ]]; then
    while read -r n; do
      has_number "$file" "$n" || fail "$where" "$name has no section §$n"
    done < <(grep -oE '§[[:space:]]*[0-9]+(\.[0-9]+)*' <<<"$spec" | sed 's/§[[:space:]]*//')
  fi
}

bad=0
fail() { echo "$1: $2"; bad=1; }

# check_tree <root>: prints one line per problem; returns 1 when there is any.
check_tree() {
  tree="$1"
  bad=0
  head_raw=() head_slug=() head_norm=()
  local files=() f rel line token path spec name file where reqs ctx
  local -A req_rows=() req_groups=() c_rules=()
  for f in "${scan_dirs[@]}"; do
    [[ -d "$tree/$f" ]] || continue
    while IFS= read -r -d '' rel; do files+=("$rel"); done < <(
      find "$tree/$f" -type f ! -path "$script_path" -print0 | sort -z)
  done
  for f in "${scan_files[@]}"; do [[ -f "$tree/$f" ]] && files+=("$tree/$f"); done
  # Text files only.
  mapfile -t files < <(grep -lI '' "${files[@]}" 2>/dev/null || true)
  ((${#files[@]})) || { echo "check_docs: nothing to check under $tree" >&2; return 2; }

  reqs="$tree/docs/requirements.md"
  ctx="$tree/docs/design/context.md"
  if [[ -f "$reqs" ]]; then
    while read -r f; do req_rows["$f"]=1; done < <(grep -oE '^\|[[:space:]]*R[0-9]+\.[0-9]+[a-z]?[[:space:]]*\|' "$reqs" | grep -oE 'R[0-9.]+[a-z]?')
    while read -r f; do req_groups["$f"]=1; done < <(headings "$reqs" | grep -oE '^[0-9]+\.' | tr -d .)
  fi
  if [[ -f "$ctx" ]]; then
    while read -r f; do c_rules["$f"]=1; done < <(grep -oE '^\|[[:space:]]*C[0-9]+[[:space:]]' "$ctx" | grep -oE 'C[0-9]+')
  fi

  # (a), (b): cited Markdown files and their sections.
  while IFS= read -r line; do
    f="${line%%:*}"; line="${line#*:}"
    where="${f#"$tree"/}:${line%%:*}"
    token="${line#*:}"
    case "$token" in http://* | https://* | \[* | \$*) continue ;; esac
    token="${token#](}"
    [[ "$token" =~ ^[A-Za-z0-9_./-]*\.md ]] || continue
    path="${BASH_REMATCH[0]}"
    spec="${token#"$path"}"
    if [[ "$path" == */ || "$path" == .md ]]; then continue; fi
    file="$(resolve "$f" "$path")"
    if [[ -z "$file" ]]; then
      fail "$where" "cites $path, which is not in the repository"
      continue
    fi
    [[ -n "$spec" ]] && check_section "$where" "$path" "$file" "$spec"
  done < <(grep -sHnoE "$md_pat" "${files[@]}" || true)

  # (b): in-file anchors of Markdown files.
  while IFS= read -r line; do
    f="${line%%:*}"; line="${line#*:}"
    token="${line#*:}"; token="${token#](#}"; token="${token%)}"
    has_anchor "$f" "$token" || fail "${f#"$tree"/}:${line%%:*}" "no heading with the anchor #$token in this file"
  done < <(grep -sHnoE '\]\(#[A-Za-z0-9_-]+\)' $(printf '%s\n' "${files[@]}" | grep '\.md$') /dev/null || true)

  # (c): requirement numbers and groups.
  while IFS= read -r line; do
    f="${line%%:*}"; line="${line#*:}"
    where="${f#"$tree"/}:${line%%:*}"
    token="${line#*:}"
    if [[ "$token" =~ ^R[0-9]+\.[0-9]+[a-z]?$ ]]; then
      [[ -n "${req_rows[$token]:-}" ]] || fail "$where" "$token is not defined in docs/requirements.md"
    else
      f="${token%.x}"
      [[ -n "${req_groups[${f#R}]:-}" ]] || fail "$where" "$token names no section of docs/requirements.md"
    fi
  done < <(grep -sHnoE '\bR[0-9]+(\.[0-9]+[a-z]?|\.x)?\b' "${files[@]}" || true)

  # (d): context rules.
  while IFS= read -r line; do
    f="${line%%:*}"; line="${line#*:}"
    token="${line#*:}"
    [[ -n "${c_rules[$token]:-}" ]] ||
      fail "${f#"$tree"/}:${line%%:*}" "rule $token is not defined in docs/design/context.md"
  done < <(grep -sHnoE '\bC[0-9]{1,2}\b' "${files[@]}" || true)

  # (e): bare names of notes that are not in the repository.
  while IFS= read -r line; do
    f="${line%%:*}"; line="${line#*:}"
    token="${line#*:}"
    [[ "$token" == *.md ]] && continue  # reported as a missing file already
    [[ "$token" =~ [A-Za-z].* ]] && token="${BASH_REMATCH[0]}"
    fail "${f#"$tree"/}:${line%%:*}" "cites '$token', a document that is not in the repository"
  done < <(grep -sHnoE '(^|[^/A-Za-z_.-])(design|style)[[:space:]]+§|spec-requirements(\.md)?|Appendix A\.?[0-9]+' "${files[@]}" || true)

  # (f): the tests docs/requirements.md names.
  if [[ -f "$reqs" ]]; then
    local n=0 test_file="" t
    while IFS= read -r line; do
      n=$((n + 1))
      [[ "$line" == *'_test.cpp`: `'* ]] || continue
      test_file=""
      while read -r t; do
        if [[ "$t" == *_test.cpp ]]; then
          test_file="$t"
          [[ -f "$tree/tests/$t" ]] || fail "docs/requirements.md:$n" "names tests/$t, which does not exist"
        elif [[ -n "$test_file" && -f "$tree/tests/$test_file" ]]; then
          grep -Eq "^[[:space:]]*TEST(_F|_P)?\\([[:space:]]*${t%%.*}[[:space:]]*,[[:space:]]*${t#*.}[[:space:]]*\\)" \
            "$tree/tests/$test_file" || fail "docs/requirements.md:$n" "names $t, which is not a test of tests/$test_file"
        fi
      done < <(grep -oE '`[a-z0-9_/]+_test\.cpp`|`[A-Za-z0-9_]+\.[A-Za-z0-9_]+`' <<<"$line" | tr -d '`')
    done <"$reqs"
  fi

  return "$bad"
}

self_test() (
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mk() { mkdir -p "$(dirname "$tmp/$1")"; printf '%s\n' "${@:2}" >"$tmp/$1"; }
  mk docs/requirements.md '# Requirements' '## 1. Context' '| R | rule |' '| --- | --- |' \
    '| R1.1 | a rule | `ctx/a_test.cpp`: `Ctx.Works`, `Ctx.AlsoWorks` |' '| R1.2 | another | not tested |' '## 7. SDK' '### 7.1 Span' '| R7.8a | a rule |' \
    '## 10. Environment variables' '```' '## 12. Not a heading: inside a code block' '```'
  mk docs/design/context.md '# Context' '## 1. The rules' '| rule | statement |' '|---|---|' \
    '| C1 value | x |' '| C2 current | x |' '| C10 processes | x |' '## 2. Representation' \
    '### Tasks: `task<T>`' '## `Odd` heading, with punctuation!' 'Back to [the rules](#1-the-rules).'
  mk tests/ctx/a_test.cpp 'TEST(Ctx, Works) {}' 'TEST_F(Ctx, AlsoWorks) {}'
  mk MAINTAINERS.md '# Notes' '- **Process-wide state** lives in one place.'
  mk README.md '# Readme' 'See [context](docs/design/context.md#2-representation) and https://example.com/x.md.' \
    '[design.md](docs/design/context.md) is linked by its text.' 'Contents: [Readme](#readme)'
  # Citations that resolve: none of these may be reported.
  mk include/a.hpp '// See docs/design/context.md, "Tasks" and docs/design/context.md §2 (R1.1, R1.2).' \
    '// docs/requirements.md ("Environment variables"), §10 there; R10, R7.x, R7.8a; C1-C2, C10.' \
    '// docs/requirements.md §7.1 and MAINTAINERS.md ("Process-wide state"); 0xC1 is not a rule.' \
    '// docs/design/context.md#odd-heading-with-punctuation and the R1.1-R1.2 range.' \
    'load "$top/NOT_HERE.md" ${dir}/not_here.md   # paths built at run time are not citations'
  mk docs/design/other.md '# Other' 'As in context.md §1 and [requirements](../requirements.md#1-context).'
  if ! out="$(check_tree "$tmp")"; then
    echo "check_docs self-test: a clean tree was rejected:" >&2; echo "$out" >&2; return 1
  fi
  # Citations that do not resolve: each line must be reported exactly once.
  mk src/bad.cpp '// See design.md §2.' '// docs/usage/missing.md is gone.' \
    '// docs/design/context.md §9 has no such section.' '// docs/design/context.md, "Executors".' \
    '// docs/design/context.md#no-such-anchor.' '// R1.3 is not defined.' '// R8.x has no section.' \
    '// Rule C9 is not defined.' '// as style §5 says' '// from spec-requirements' \
    '// MAINTAINERS.md ("No such label")' '// docs/requirements.md §12 is only in a code block.' \
    '// kept as received (Appendix A.9)'
  printf '%s\n' '| R9.9 | bad rows | `ctx/a_test.cpp`: `Ctx.Gone`; `ctx/gone_test.cpp`: `Ctx.Works` |' >>"$tmp/docs/requirements.md"
  mk docs/bad.md '# Bad' 'See [the missing part](#missing-part).' 'See [gone](usage/gone.md).' \
    'And [a section](design/context.md#nope).'
  if out="$(check_tree "$tmp")"; then
    echo "check_docs self-test: broken citations were accepted" >&2; return 1
  fi
  count="$(grep -c . <<<"$out" || true)"
  if [[ "$count" != 18 ]] || grep -v -e '^src/bad.cpp:' -e '^docs/bad.md:' -e '^docs/requirements.md:14:' <<<"$out" | grep -q .; then
    echo "check_docs self-test: expected 18 problems in src/bad.cpp, docs/bad.md and the last row of docs/requirements.md, got $count:" >&2
    echo "$out" >&2
    return 1
  fi
  local n
  for n in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
    grep -q "^src/bad.cpp:$n: " <<<"$out" || { echo "check_docs self-test: src/bad.cpp:$n not reported:" >&2; echo "$out" >&2; return 1; }
  done
  [[ -z "${CHECK_DOCS_VERBOSE:-}" ]] || echo "$out"
  echo "check_docs self-test: ok (clean tree accepted, 18/18 problems found)"
)

case "${1:-}" in
  --self-test) self_test ;;
  --root) check_tree "$(cd "$2" && pwd)" && echo "check_docs: ok" ;;
  "") check_tree "$root" && echo "check_docs: ok" ;;
  *) echo "usage: $0 [--root DIR | --self-test]" >&2; exit 2 ;;
esac
