// SPDX-License-Identifier: Apache-2.0
// render_html_page / render_html_app: fills the page template (html/page.html) with the style
// sheet, the script, the configuration and the embedded OTLP JSON.
#include "ctxflow/viewer/html_page.hpp"

#include <string_view>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "viewer/html_assets.hpp"

namespace ctxflow::viewer {
namespace {

// Text for an element or a double-quoted attribute.
std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

// JSON text made safe inside <script type="application/json">: the HTML parser ends the element
// at `</script`, and `<!--` changes how it looks for that end, so every `<` becomes `\u003c`
// (JSON puts `<` only inside strings, where the escape means the same). U+2028 and U+2029 are
// escaped too, for readers that treat the text as JavaScript.
std::string escape_script_json(std::string_view json) {
  std::string out;
  out.reserve(json.size() + json.size() / 16);
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// A JSON string literal for configuration values (already validated: no control characters).
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

bool valid_nonce(std::string_view nonce) noexcept {
  if (nonce.size() < 16 || nonce.size() > 128) return false;
  for (char c : nonce) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/' || c == '=' || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

bool valid_api_base(std::string_view base) noexcept {
  if (base.empty() || base.size() > 512 || base.back() != '/') return false;
  if (base.find("//") != std::string_view::npos || base.find(':') != std::string_view::npos) {
    return false;  // a path on this server, not another origin or scheme
  }
  for (char c : base) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '\\') return false;
  }
  return true;
}

struct page_parts {
  std::string title;
  std::string nonce;
  std::string config;  // JSON
  std::string data;    // escaped JSON, or empty
};

// Replaces each @NAME@ of the template once, scanning only the template, so nothing inserted
// (span text included) is read as a placeholder.
std::string fill(const page_parts& parts) {
  const std::string_view tpl = detail::html_page_template;
  std::string nonce_attr;
  std::string csp = "default-src 'none'; img-src data:; connect-src 'self'; base-uri 'none'; form-action 'none'; ";
  if (parts.nonce.empty()) {
    csp += "script-src 'unsafe-inline'; style-src 'unsafe-inline'";
  } else {
    nonce_attr = " nonce=\"" + parts.nonce + "\"";
    csp += "script-src 'nonce-" + parts.nonce + "'; style-src 'nonce-" + parts.nonce + "'";
  }
  std::string out;
  out.reserve(tpl.size() + detail::html_viewer_js.size() + detail::html_viewer_css.size() +
              parts.data.size() + 256);
  std::size_t pos = 0;
  while (pos < tpl.size()) {
    const std::size_t at = tpl.find('@', pos);
    if (at == std::string_view::npos) {
      out.append(tpl.substr(pos));
      break;
    }
    out.append(tpl.substr(pos, at - pos));
    const std::size_t end = tpl.find('@', at + 1);
    const std::string_view name =
        end == std::string_view::npos ? std::string_view{} : tpl.substr(at + 1, end - at - 1);
    std::string_view value;
    bool known = true;
    if (name == "TITLE") {
      value = parts.title;
    } else if (name == "CSP") {
      value = csp;
    } else if (name == "NONCE") {
      value = nonce_attr;
    } else if (name == "CSS") {
      value = detail::html_viewer_css;
    } else if (name == "JS") {
      value = detail::html_viewer_js;
    } else if (name == "CONFIG") {
      value = parts.config;
    } else if (name == "DATA") {
      value = parts.data;
    } else {
      known = false;
    }
    if (known) {
      out.append(value);
      pos = end + 1;
    } else {
      out += '@';
      pos = at + 1;
    }
  }
  return out;
}

std::string checked_nonce(const std::string& nonce) {
  if (nonce.empty() || valid_nonce(nonce)) return nonce;
  reportf(severity::warning, "viewer.html.nonce.invalid",
          "the Content-Security-Policy nonce must be 16 to 128 base64 characters; the page is made "
          "without one (%zu characters given)",
          nonce.size());
  return {};
}

}  // namespace

std::string render_html_page(std::span<const sdk::span_data> spans, const html_options& options) {
  std::vector<const sdk::span_data*> batch;
  batch.reserve(spans.size());
  for (const auto& span : spans) batch.push_back(&span);
  std::string json;
  exporters::otlp::encode_json(batch, json);

  page_parts parts;
  parts.title = escape_html(options.title);
  parts.nonce = checked_nonce(options.csp_nonce);
  parts.config = R"({"mode":"embedded"})";
  parts.data = escape_script_json(json);
  return fill(parts);
}

std::string render_html_app(const html_app_options& options) {
  std::string base = options.api_base;
  if (!valid_api_base(base)) {
    reportf(severity::warning, "viewer.html.api_base.invalid",
            "the API base must be a path on the same server ending in '/'; using 'api/' (%zu "
            "characters given)",
            base.size());
    base = "api/";
  }
  page_parts parts;
  parts.title = escape_html(options.title);
  parts.nonce = checked_nonce(options.csp_nonce);
  parts.config = escape_script_json(R"({"mode":"api","apiBase":)" + json_string(base) + "}");
  return fill(parts);
}

}  // namespace ctxflow::viewer
