// SPDX-License-Identifier: Apache-2.0
// read_otlp_json / read_otlp_json_files: splitting a stream of OTLP JSON into documents. One
// pass over the input in blocks, counting braces and brackets outside strings: a document that
// is balanced at the end of a line ends there (JSON lines), one that is not goes on over the
// following lines (a pretty-printed request). A '{' in the first column while a document is still
// open starts a new one, so a truncated line costs only itself. A document is buffered up to
// decode_limits::max_message_bytes; past that it is skipped to its end and reported.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <new>
#include <utility>

#include "ctxflow/macros.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"

namespace ctxflow::viewer {
namespace {

class document_splitter {
 public:
  document_splitter(std::string_view source, read_result& out, const decode_limits& limits)
      : source_(source), out_(out), limits_(limits) {}

  void feed(const char* data, std::size_t n) {
    // Characters of the open document are appended in runs, not one by one.
    std::size_t run = in_document_ ? 0 : n;
    auto flush = [&](std::size_t upto) {
      if (run < upto) append(data + run, upto - run);
      run = n;
    };
    for (std::size_t i = 0; i < n; ++i) {
      const char c = data[i];
      if (!in_document_) {
        if (c == '\n') {
          ++line_;
          column_ = 0;
          continue;
        }
        if (c == ' ' || c == '\t' || c == '\r') continue;
        begin_document();
        run = i;
      } else if (column_ == 0 && c == '{' && depth_ > 0) {
        // An unfinished document and a new one starting in the first column: the open one was
        // cut short (a truncated line of a JSON-lines file).
        flush(i);
        end_document();
        begin_document();
        run = i;
      }
      if (c == '\n') {
        in_string_ = false;  // a JSON string cannot hold a raw line break
        escape_ = false;
        ++line_;
        column_ = 0;
        if (depth_ <= 0) {
          flush(i);
          end_document();
        }
        continue;
      }
      ++column_;
      if (in_string_) {
        if (escape_) {
          escape_ = false;
        } else if (c == '\\') {
          escape_ = true;
        } else if (c == '"') {
          in_string_ = false;
        }
        continue;
      }
      switch (c) {
        case '"': in_string_ = true; break;
        case '{':
        case '[': ++depth_; break;
        case '}':
        case ']': --depth_; break;
        default: break;
      }
    }
    if (in_document_) flush(n);
  }

  void finish() {
    if (in_document_) end_document();
  }

 private:
  void begin_document() {
    in_document_ = true;
    oversized_ = false;
    depth_ = 0;
    in_string_ = false;
    escape_ = false;
    start_line_ = line_;
    buffer_.clear();
  }

  void append(const char* data, std::size_t n) {
    if (oversized_) return;
    if (n > limits_.max_message_bytes - std::min(buffer_.size(), limits_.max_message_bytes)) {
      oversized_ = true;
      std::string().swap(buffer_);  // give the memory back now
      return;
    }
    buffer_.append(data, n);
  }

  void end_document() {
    in_document_ = false;
    if (oversized_) {
      problem("the document is larger than the limit of " + std::to_string(limits_.max_message_bytes) +
              " bytes; skipped");
      return;
    }
    std::string error;
    if (decode_json(buffer_, out_.spans, error, limits_)) {
      ++out_.documents;
    } else {
      problem(with_position(std::move(error)));
    }
    buffer_.clear();
  }

  // decode_json names a syntax error's byte offset in the document; in a file the line and
  // column say more: "invalid JSON at line 12, column 5: expected ':'".
  std::string with_position(std::string error) const {
    constexpr std::string_view marker = "at offset ";
    const std::size_t at = error.find(marker);
    if (at == std::string::npos) return error;
    std::size_t offset = 0;
    std::size_t end = at + marker.size();
    while (end < error.size() && error[end] >= '0' && error[end] <= '9')
      offset = offset * 10 + static_cast<std::size_t>(error[end++] - '0');
    if (end == at + marker.size() || offset > buffer_.size()) return error;
    std::size_t line = start_line_;
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
      if (buffer_[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    return error.substr(0, at) + "at line " + std::to_string(line) + ", column " +
           std::to_string(offset - line_start + 1) + error.substr(end);
  }

  void problem(std::string message) {
    out_.problems.push_back(read_problem{std::string(source_), start_line_, std::move(message)});
  }

  std::string_view source_;
  read_result& out_;
  const decode_limits& limits_;
  std::string buffer_;
  std::size_t line_ = 1;
  std::size_t start_line_ = 0;
  std::size_t column_ = 0;
  long long depth_ = 0;
  bool in_document_ = false;
  bool in_string_ = false;
  bool escape_ = false;
  bool oversized_ = false;
};

void add_problem(read_result& out, std::string_view source, std::size_t line, std::string message) noexcept {
  CTXFLOW_TRY { out.problems.push_back(read_problem{std::string(source), line, std::move(message)}); }
  CTXFLOW_CATCH_ALL {}
}

}  // namespace

void read_otlp_json(std::istream& in, std::string_view source, read_result& out,
                    const decode_limits& limits) {
  CTXFLOW_TRY {
    document_splitter splitter(source, out, limits);
    char block[64 * 1024];
    while (in) {
      in.read(block, sizeof block);
      const std::streamsize got = in.gcount();
      if (got <= 0) break;
      splitter.feed(block, static_cast<std::size_t>(got));
    }
    if (in.bad()) add_problem(out, source, 0, "read error");
    splitter.finish();
  }
  CTXFLOW_CATCH_ALL {
    add_problem(out, source, 0, std::string("reading stopped: ") + current_exception_message());
  }
}

read_result read_otlp_json_files(const std::vector<std::string>& paths, const decode_limits& limits) {
  read_result result;
  for (const std::string& path : paths) {
    if (path == "-") {
      read_otlp_json(std::cin, "-", result, limits);
      continue;
    }
    errno = 0;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      const int err = errno;
      add_problem(result, path, 0,
                  std::string("cannot open: ") + (err != 0 ? std::strerror(err) : "unknown error"));
      continue;
    }
    read_otlp_json(file, path, result, limits);
  }
  return result;
}

}  // namespace ctxflow::viewer
