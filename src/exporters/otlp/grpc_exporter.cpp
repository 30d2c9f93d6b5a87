// SPDX-License-Identifier: Apache-2.0
// The OTLP/gRPC exporter: one channel for the exporter's lifetime and a generic unary call of
// `TraceService/Export` on the bytes encode_protobuf() writes, so no generated stub is needed.
// The export loop with its retries is the shared detail::export_driver; this file is the
// transport (one call with its deadline, metadata and compression, what its status means: the
// OTLP/gRPC retryable codes, RetryInfo, partial success) and the registration as "otlp/grpc".
// See docs/design/otlp.md.
#include "ctxflow/exporters/otlp/grpc_exporter.hpp"

#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/channel_arguments.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <fstream>
#include <iterator>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/exporters/otlp/response.hpp"
#include "ctxflow/macros.hpp"
#include "ctxflow/sdk/exporter_registry.hpp"
#include "exporters/otlp/export_driver.hpp"
#include "internal/env.hpp"
#include "internal/report.hpp"

namespace ctxflow::exporters::otlp {

using detail::attempt_outcome;
using steady = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

constexpr const char* export_method = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// A usable endpoint, else the default (reported).
grpc_exporter_options checked_options(grpc_exporter_options o) {
  if (!resolve_grpc_target(o.endpoint, o.insecure)) {
    internal::report_invalid_setting(
        "otlp.config.invalid", "grpc_exporter_options::endpoint", o.endpoint,
        "not an http(s)://host[:port] or host:port endpoint", "the default http://localhost:4317");
    o.endpoint = grpc_exporter_options{}.endpoint;
  }
  return o;
}

/// The contents of a PEM file, or empty (reported) when it cannot be read.
std::string read_pem(const std::string& path, const char* what) {
  if (path.empty()) return {};
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (in) text << in.rdbuf();
  if (!in || text.str().empty()) {
    internal::report_invalid_setting("otlp.config.invalid", what, path, "cannot be read",
                                     "none");
    return {};
  }
  return text.str();
}

std::shared_ptr<grpc::Channel> make_channel(const grpc_exporter_options& o) {
  const grpc_target t = *resolve_grpc_target(o.endpoint, o.insecure);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (t.plaintext) {
    creds = grpc::InsecureChannelCredentials();
  } else {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = read_pem(o.ca_certificate_path, "ca_certificate_path");
    ssl.pem_cert_chain = read_pem(o.client_certificate_path, "client_certificate_path");
    ssl.pem_private_key = read_pem(o.client_key_path, "client_key_path");
    creds = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  args.SetUserAgentPrefix(user_agent(o.user_agent_prefix));
  args.SetMaxReceiveMessageSize(
      static_cast<int>(std::min<std::size_t>(o.max_response_size, INT_MAX)));
  args.SetMaxSendMessageSize(static_cast<int>(std::min<std::size_t>(o.max_request_size, INT_MAX)));
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);  // the exporter retries, by the OTLP rules
  // Reconnect soon after a collector comes back: the export timeout bounds the whole export.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 5000);
  return grpc::CreateCustomChannel(t.target, creds, args);
}

/// R8.19: the codes the OTLP specification calls retryable (RESOURCE_EXHAUSTED only with a
/// RetryInfo, decided by the caller).
bool retryable(grpc::StatusCode c) noexcept {
  switch (c) {
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::ABORTED:
    case grpc::StatusCode::OUT_OF_RANGE:
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DATA_LOSS:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct grpc_exporter::impl final : detail::export_transport {
  grpc_exporter_options opts;
  detail::export_driver driver;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  // Only the running export touches these.
  std::string body;
  grpc::ByteBuffer request;
  std::vector<grpc::Slice> response_slices;
  std::string response;

  // The call in flight, so that a shutdown that gives up waiting can cancel it.
  std::mutex call_mu;
  grpc::ClientContext* in_flight = nullptr;  // guarded by call_mu
  bool abort = false;                        // guarded by call_mu

  explicit impl(grpc_exporter_options o)
      : opts(checked_options(std::move(o))),
        driver(opts.retry, opts.timeout, opts.endpoint.substr(0, 200)),
        channel(make_channel(opts)),
        stub(std::make_unique<grpc::GenericStub>(channel)) {}

  /// Cancels the call in flight, if any, and any later one.
  void cancel() noexcept {
    std::lock_guard lock(call_mu);
    abort = true;
    if (in_flight != nullptr) in_flight->TryCancel();
  }

  bool prepare(std::span<const sdk::span_data* const> batch, std::uint64_t n) override {
    encode_protobuf(batch, body);
    if (body.size() > opts.max_request_size) {  // R8.8
      driver.too_large(n, body.size(), opts.max_request_size);
      return false;
    }
    grpc::Slice slice(body.data(), body.size());
    request = grpc::ByteBuffer(&slice, 1);
    return true;
  }

  attempt_outcome attempt(steady::time_point deadline, std::uint64_t n,
                          std::optional<milliseconds>& retry_delay, std::string& why) override {
    grpc::ClientContext ctx;
    if (deadline != steady::time_point::max()) {  // gRPC takes system_clock deadlines
      ctx.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(
                           deadline - steady::now()));
    }
    for (const auto& [k, v] : opts.headers) ctx.AddMetadata(internal::to_lower(k), v);
    if (opts.compression == otlp_compression::gzip)
      ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    {
      std::lock_guard lock(call_mu);
      if (abort) {
        why = "cancelled by shutdown";
        return attempt_outcome::fail;
      }
      in_flight = &ctx;
    }
    struct done_state {
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      grpc::Status status;
    } state;
    grpc::ByteBuffer reply;
    stub->UnaryCall(&ctx, export_method, grpc::StubOptions(), &request, &reply,
                    [&state](grpc::Status s) {
                      std::lock_guard lock(state.mu);
                      state.status = std::move(s);
                      state.done = true;
                      state.cv.notify_all();
                    });
    {
      // The deadline ends the call; should the library not call back by then (plus a grace
      // period), the call is cancelled, which completes it promptly.
      std::unique_lock lock(state.mu);
      const bool bounded = deadline != steady::time_point::max();
      if (bounded &&
          !state.cv.wait_until(lock, deadline + milliseconds(1000), [&] { return state.done; })) {
        lock.unlock();
        ctx.TryCancel();
        lock.lock();
      }
      state.cv.wait(lock, [&] { return state.done; });
    }
    bool aborted = false;
    {
      std::lock_guard lock(call_mu);
      in_flight = nullptr;
      aborted = abort;
    }
    const grpc::Status& st = state.status;
    if (st.ok()) {  // R8.10: full or partial success
      response.clear();
      response_slices.clear();
      std::optional<export_response> r;
      if (reply.Dump(&response_slices).ok()) {
        for (const grpc::Slice& s : response_slices)
          response.append(reinterpret_cast<const char*>(s.begin()), s.size());
        r = parse_export_response_protobuf(response);
      }
      driver.accepted(r, n);
      return attempt_outcome::success;
    }
    const auto code = st.error_code();
    why = "gRPC status " + std::to_string(static_cast<int>(code));
    if (!st.error_message().empty()) why += ": " + st.error_message().substr(0, 512);
    if (aborted) {
      why = "cancelled by shutdown";
      return attempt_outcome::fail;
    }
    const std::optional<rpc_status> details =
        st.error_details().empty() ? std::nullopt : parse_rpc_status_protobuf(st.error_details());
    const std::optional<milliseconds> delay = details ? details->retry_delay : std::nullopt;
    if (retryable(code) || (code == grpc::StatusCode::RESOURCE_EXHAUSTED && delay)) {
      retry_delay = delay;
      return attempt_outcome::retry;  // R8.19
    }
    reportf(severity::error, "otlp.export.rejected", "%s answered gRPC status %d%s%s",
            driver.endpoint().c_str(), static_cast<int>(code),
            st.error_message().empty() ? "" : ": ", st.error_message().substr(0, 512).c_str());
    return attempt_outcome::fail;
  }
};

grpc_exporter::grpc_exporter(grpc_exporter_options options)
    : impl_(std::make_unique<impl>(std::move(options))) {}

grpc_exporter::~grpc_exporter() {
  impl_->cancel();
  impl_->driver.shut_down_and_wait();
}

sdk::export_result grpc_exporter::export_spans(
    std::span<const sdk::span_data* const> batch) noexcept {
  return impl_->driver.run_guarded(batch, sdk::export_limits{}, *impl_);
}

sdk::export_result grpc_exporter::export_spans_within(std::span<const sdk::span_data* const> batch,
                                                      const sdk::export_limits& limits) noexcept {
  return impl_->driver.run_guarded(batch, limits, *impl_);
}

bool grpc_exporter::force_flush(std::chrono::milliseconds) noexcept { return true; }

bool grpc_exporter::shutdown(std::chrono::milliseconds timeout) noexcept {
  if (impl_->driver.shut_down_within(timeout)) return true;
  impl_->cancel();  // the destructor waits for the cancelled call
  return false;
}

grpc_exporter_stats grpc_exporter::stats() const noexcept {
  return impl_->driver.counters.snapshot();
}

const grpc_exporter_options& grpc_exporter::options() const noexcept { return impl_->opts; }

namespace {

std::unique_ptr<sdk::span_exporter> make_from_environment() {
  return std::make_unique<grpc_exporter>(grpc_exporter_options::from_environment());
}

}  // namespace

void register_grpc_exporter() noexcept {
  CTXFLOW_TRY {
    sdk::register_exporter_factory("otlp/grpc", &make_from_environment);
  } CTXFLOW_CATCH_ALL {
    report(severity::error, "otlp.export.init_failed", "could not register \"otlp/grpc\"");
  }
}

}  // namespace ctxflow::exporters::otlp

// The SDK's exporter registry calls this before its first lookup (a weak reference there), after
// the OTLP/HTTP hook. It registers "otlp/grpc", and "otlp" as well when the OTLP/HTTP exporter
// has not (a registration from a hook never replaces another).
extern "C" __attribute__((visibility("default"))) void ctxflow_otlp_grpc_register_hook() noexcept {
  namespace otlp = ctxflow::exporters::otlp;
  otlp::register_grpc_exporter();
  CTXFLOW_TRY {
    ctxflow::sdk::register_exporter_factory("otlp", &otlp::make_from_environment);
  } CTXFLOW_CATCH_ALL {
    ctxflow::report(ctxflow::severity::error, "otlp.export.init_failed",
                    "could not register \"otlp\"");
  }
}
