// SPDX-License-Identifier: Apache-2.0
// OTLP encoding throughput: batches of 512 spans with 8 attributes each (plus one event),
// encoded as binary protobuf and as OTLP/JSON into a reused buffer. Reports spans/second.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/sdk/span_data.hpp"

namespace {

using namespace ctxflow;

struct batch {
  std::vector<sdk::span_data> spans;
  std::vector<const sdk::span_data*> ptrs;

  explicit batch(std::size_t n) {
    auto res = std::make_shared<sdk::resource>();
    res->attributes = {{"service.name", std::string("checkout")},
                       {"telemetry.sdk.language", std::string("cpp")},
                       {"telemetry.sdk.name", std::string("ctxflow")}};
    auto scope = std::make_shared<sdk::instrumentation_scope>();
    scope->name = "ctxflow.http";
    scope->version = "0.1.0";
    for (std::size_t i = 0; i < n; ++i) {
      sdk::span_data s;
      for (std::size_t b = 0; b < 16; ++b)
        s.context.trace.bytes[b] = static_cast<std::uint8_t>(i * 31 + b + 1);
      for (std::size_t b = 0; b < 8; ++b) {
        s.context.span.bytes[b] = static_cast<std::uint8_t>(i * 17 + b + 1);
        s.parent_span_id.bytes[b] = static_cast<std::uint8_t>(i * 13 + b + 2);
      }
      s.context.flags = trace::trace_flags{0x01};
      s.name = "GET /api/v1/orders/{id}";
      s.kind = trace::span_kind::server;
      s.start_time_unix_nano = 1700000000000000000ull + i * 1000;
      s.end_time_unix_nano = s.start_time_unix_nano + 250000;
      s.attributes = {
          {"http.request.method", std::string("GET")},
          {"http.route", std::string("/api/v1/orders/{id}")},
          {"http.response.status_code", std::int64_t{200}},
          {"url.scheme", std::string("https")},
          {"server.address", std::string("orders.internal")},
          {"server.port", std::int64_t{8443}},
          {"network.protocol.version", std::string("1.1")},
          {"app.cache_hit", true},
      };
      s.events.push_back({"cache.lookup", s.start_time_unix_nano + 1000,
                          {{"cache.key", std::string("order:42")}}, 0});
      s.status = {trace::status_code::ok, ""};
      s.resource_ptr = res;
      s.scope_ptr = scope;
      spans.push_back(std::move(s));
    }
    for (const auto& s : spans) ptrs.push_back(&s);
  }
};

void BM_otlp_encode_protobuf(benchmark::State& state) {
  batch b(512);
  std::string out;
  for (auto _ : state) {
    exporters::otlp::encode_protobuf(b.ptrs, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 512);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_otlp_encode_protobuf);

void BM_otlp_encode_json(benchmark::State& state) {
  batch b(512);
  std::string out;
  for (auto _ : state) {
    exporters::otlp::encode_json(b.ptrs, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()) * 512);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_otlp_encode_json);

}  // namespace
