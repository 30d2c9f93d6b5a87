// SPDX-License-Identifier: Apache-2.0
// Forwarding header, kept for one release: the JSON-lines exporter moved to
// ctxflow/exporters/otlp/jsonl_exporter.hpp (namespace ctxflow::exporters::otlp), next to its
// source in src/exporters/otlp/, because it writes OTLP/JSON. Include the new header; the old
// names below compile with a deprecation warning.
#pragma once

#include "ctxflow/exporters/otlp/jsonl_exporter.hpp"

namespace ctxflow::exporters {

using jsonl_exporter [[deprecated("use ctxflow::exporters::otlp::jsonl_exporter")]] =
    otlp::jsonl_exporter;

[[deprecated("use ctxflow::exporters::otlp::register_jsonl_exporter")]] inline void
register_jsonl_exporter() noexcept {
  otlp::register_jsonl_exporter();
}

}  // namespace ctxflow::exporters
