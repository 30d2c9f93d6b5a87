// SPDX-License-Identifier: Apache-2.0
// The SDK's exporter registry calls this before its first lookup (through a weak reference), so
// linking ctxflow::exporters_otlp is enough for OTEL_TRACES_EXPORTER=jsonl. The library's link
// interface names it with --undefined, which keeps this object file in a static link.
#include "ctxflow/exporters/otlp/jsonl_exporter.hpp"

extern "C" __attribute__((visibility("default"))) void ctxflow_jsonl_register_hook() noexcept {
  ctxflow::exporters::otlp::register_jsonl_exporter();
}
