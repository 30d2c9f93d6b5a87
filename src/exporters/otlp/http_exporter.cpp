// SPDX-License-Identifier: Apache-2.0
// The OTLP/HTTP exporter's public calls and its registration as "otlp". The export loop with
// its retries is detail::export_driver (export_driver.cpp); the transport, http_transport.cpp.
// See docs/design/otlp.md.
#include "ctxflow/exporters/otlp/http_exporter.hpp"

#include <algorithm>
#include <string>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"
#include "exporters/otlp/http_exporter_impl.hpp"
#include "exporters/otlp/otlp_env.hpp"

namespace ctxflow::exporters::otlp {

using std::chrono::milliseconds;

http_exporter::http_exporter(http_exporter_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

http_exporter::~http_exporter() {
  impl_->abort.store(true, std::memory_order_relaxed);
  impl_->driver.shut_down_and_wait();
  impl_->release();
}

sdk::export_result http_exporter::export_spans(
    std::span<const sdk::span_data* const> batch) noexcept {
  return impl_->driver.run_guarded(batch, sdk::export_limits{}, *impl_);
}

sdk::export_result http_exporter::export_spans_within(std::span<const sdk::span_data* const> batch,
                                                      const sdk::export_limits& limits) noexcept {
  return impl_->driver.run_guarded(batch, limits, *impl_);
}

bool http_exporter::force_flush(std::chrono::milliseconds) noexcept { return true; }

bool http_exporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (!impl_->driver.shut_down_within(timeout)) {
    impl_->abort.store(true, std::memory_order_relaxed);
    return false;  // the destructor releases the handle once the aborted request returns
  }
  impl_->release();
  return true;
}

http_exporter_stats http_exporter::stats() const noexcept {
  return impl_->driver.counters.snapshot();
}

const http_exporter_options& http_exporter::options() const noexcept { return impl_->opts; }

void register_exporter() noexcept {
  CTXFLOW_TRY {
    sdk::register_exporter_factory("otlp", []() -> std::unique_ptr<sdk::span_exporter> {
      // R8.16: protocol `grpc` is the OTLP/gRPC exporter's, registered as "otlp/grpc" when
      // ctxflow::otlp_grpc is linked; without it from_environment() warns and falls back.
      if (const auto p = detail::otlp_protocol_env();
          p && p->value == "grpc" && sdk::has_exporter_factory("otlp/grpc"))
        return sdk::make_exporter("otlp/grpc");
      return std::make_unique<http_exporter>(http_exporter_options::from_environment());
    });
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "otlp.export.init_failed", "could not register \"otlp\"");
  }
}

}  // namespace ctxflow::exporters::otlp

// The SDK's exporter registry calls this before its first lookup (a weak reference there), so
// linking ctxflow::otlp_http is enough for OTEL_TRACES_EXPORTER=otlp. The library's link
// interface names it with --undefined, which pulls this object file out of the static archive.
extern "C" __attribute__((visibility("default"))) void ctxflow_otlp_http_register_hook() noexcept {
  ctxflow::exporters::otlp::register_exporter();
}

