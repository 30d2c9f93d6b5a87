// SPDX-License-Identifier: Apache-2.0
// The HTML viewer's files (src/viewer/html/), compiled into the library by
// cmake/ctxflow_embed_text.cmake: the page template, its script and its style sheet.
#pragma once

#include <string_view>

namespace ctxflow::viewer::detail {

extern const std::string_view html_page_template;  // html/page.html, with @NAME@ placeholders
extern const std::string_view html_viewer_js;      // html/viewer.js
extern const std::string_view html_viewer_css;     // html/viewer.css

}  // namespace ctxflow::viewer::detail
