// SPDX-License-Identifier: Apache-2.0
// append_json_string: a string as a JSON string literal, the one writer the viewer's JSON
// answers (the JSON API of `ctxflow serve`, key-value lists read from OTLP) use.
#pragma once

#include <string>
#include <string_view>

#include "ctxflow/export.hpp"

namespace ctxflow::viewer {

/// Appends `text` to `out` as a JSON string literal: quotes, `\"`, `\\`, the short escapes and
/// `\u00XX` for other control characters; valid UTF-8 is copied and every byte that does not
/// start a valid UTF-8 sequence becomes U+FFFD, so the result is always valid JSON.
/// Errors: none; out of memory propagates as std::bad_alloc.
CTXFLOW_API void append_json_string(std::string& out, std::string_view text);

}  // namespace ctxflow::viewer
