// SPDX-License-Identifier: Apache-2.0
// The HTML trace viewer: one self-contained page (inline CSS and JavaScript, no external asset,
// works when opened from a file) with a trace list, the selected trace's waterfall with
// collapsible subtrees, the details of the clicked span and a search by name or attribute.
// render_html_page() embeds the spans (`ctxflow view --html`); render_html_app() makes the same
// page load its data from the JSON API of `ctxflow serve`. See docs/usage/view_html.md.
#pragma once

#include <span>
#include <string>

#include "ctxflow/export.hpp"
#include "ctxflow/sdk/span_data.hpp"

namespace ctxflow::viewer {

/// Options of render_html_page().
struct html_options {
  /// The page's title (HTML-escaped when written).
  std::string title = "ctxflow traces";
  /// When not empty, the page's `<script>` and `<style>` elements carry `nonce="..."` and the
  /// page declares a Content-Security-Policy allowing only them; it must be 16 to 128 characters
  /// of base64 (`A-Z a-z 0-9 + / =`, `-`, `_`). An invalid nonce is reported
  /// (`viewer.html.nonce.invalid`) and left out. Without a nonce the page still declares a
  /// policy that forbids loading anything from elsewhere.
  std::string csp_nonce;
};

/// Options of render_html_app().
struct html_app_options {
  std::string title = "ctxflow serve";
  /// Where the API is, relative to the page (or absolute path); must end with `/`. The page asks
  /// `<api_base>traces` for the list and `<api_base>traces/<trace id>` for one trace.
  std::string api_base = "api/";
  /// As html_options::csp_nonce.
  std::string csp_nonce;
};

/// One HTML document showing `spans`: they are embedded as one OTLP/JSON
/// `ExportTraceServiceRequest` (exporters::otlp::encode_json) in a
/// `<script type="application/json">` block, escaped so that no span content can end the block
/// or the document (`<` as `\u003c`, U+2028 and U+2029 as escapes). The page groups the spans
/// into traces itself. Spans may be in any order and come from any number of traces.
///
/// Thread safety: may be called concurrently. Errors: none; allocation failure propagates as
/// `std::bad_alloc`.
CTXFLOW_API std::string render_html_page(std::span<const sdk::span_data> spans,
                                         const html_options& options = {});

/// The same page without embedded spans: it fetches the trace list and each trace from the JSON
/// API at `options.api_base` (`ctxflow serve`). An `api_base` that is not a relative or
/// absolute path ending in `/` (or that holds a quote, `<`, `>` or whitespace) is reported
/// (`viewer.html.api_base.invalid`) and replaced by `api/`.
///
/// Thread safety and errors: as render_html_page().
CTXFLOW_API std::string render_html_app(const html_app_options& options = {});

}  // namespace ctxflow::viewer
