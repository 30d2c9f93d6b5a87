// SPDX-License-Identifier: Apache-2.0
// What `ctxflow serve` does per request, without the HTTP: viewer::ingest() of a 512-span
// OTLP body (protobuf, protobuf with gzip, JSON) followed by trace_store::add() into an
// in-memory store with the default retention (1000 traces), and the store's add alone.
// Batches hold 32 traces of 16 spans; 64 pre-encoded batches with distinct ids are cycled, so
// every add inserts new traces and retention deletes old ones, as under a steady load.
// Reports spans/second.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <memory>
#include <string>
#include <vector>

#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/sdk/span_data.hpp"
#include "ctxflow/viewer/otlp_ingest.hpp"
#include "ctxflow/viewer/trace_store.hpp"

namespace {

using namespace ctxflow;

constexpr std::size_t spans_per_batch = 512;
constexpr std::size_t spans_per_trace = 16;
constexpr std::size_t batches = 64;

std::vector<sdk::span_data> make_batch(std::size_t index) {
  static const auto res = [] {
    auto r = std::make_shared<sdk::resource>();
    r->attributes = {{"service.name", std::string("checkout")},
                     {"telemetry.sdk.language", std::string("cpp")},
                     {"telemetry.sdk.name", std::string("ctxflow")}};
    return r;
  }();
  static const auto scope = [] {
    auto s = std::make_shared<sdk::instrumentation_scope>();
    s->name = "ctxflow.http";
    s->version = "0.1.0";
    return s;
  }();
  std::vector<sdk::span_data> spans;
  for (std::size_t i = 0; i < spans_per_batch; ++i) {
    const std::size_t trace = index * (spans_per_batch / spans_per_trace) + i / spans_per_trace;
    const std::size_t in_trace = i % spans_per_trace;
    sdk::span_data s;
    s.context.trace.bytes[0] = 0x5b;
    for (std::size_t b = 0; b < 8; ++b)
      s.context.trace.bytes[15 - b] = static_cast<std::uint8_t>(trace >> (8 * b));
    s.context.span.bytes[0] = 0x11;
    s.context.span.bytes[7] = static_cast<std::uint8_t>(in_trace + 1);
    if (in_trace != 0) s.parent_span_id.bytes = {0x11, 0, 0, 0, 0, 0, 0, 1};
    s.context.flags = trace::trace_flags{0x01};
    s.name = in_trace == 0 ? "GET /api/v1/orders/{id}" : "SELECT orders";
    s.kind = in_trace == 0 ? trace::span_kind::server : trace::span_kind::client;
    s.start_time_unix_nano = 1700000000000000000ull + trace * 1'000'000 + in_trace * 1000;
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
  return spans;
}

std::string gzip(const std::string& in) {
  z_stream zs{};
  deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

enum class body_kind { protobuf, protobuf_gzip, json };

/// 64 encoded request bodies with distinct trace ids.
std::vector<std::string> bodies(body_kind kind) {
  std::vector<std::string> out;
  for (std::size_t b = 0; b < batches; ++b) {
    const auto spans = make_batch(b);
    std::vector<const sdk::span_data*> ptrs;
    for (const auto& s : spans) ptrs.push_back(&s);
    std::string body;
    if (kind == body_kind::json)
      exporters::otlp::encode_json(ptrs, body);
    else
      exporters::otlp::encode_protobuf(ptrs, body);
    out.push_back(kind == body_kind::protobuf_gzip ? gzip(body) : body);
  }
  return out;
}

std::unique_ptr<viewer::trace_store> memory_store() {
  std::string error;
  return viewer::trace_store::open({}, error);
}

void ingest_and_store(benchmark::State& state, body_kind kind) {
  const auto input = bodies(kind);
  auto store = memory_store();
  const char* type = kind == body_kind::json ? "application/json" : "application/x-protobuf";
  const char* encoding = kind == body_kind::protobuf_gzip ? "gzip" : "";
  std::size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& body = input[i++ % input.size()];
    auto r = viewer::ingest(type, encoding, body);
    if (r.status != 200 || r.spans.size() != spans_per_batch || !store->add(r.spans)) {
      state.SkipWithError("ingest or add failed");
      break;
    }
    bytes += body.size();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans_per_batch));
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void BM_viewer_ingest_and_store_protobuf(benchmark::State& state) {
  ingest_and_store(state, body_kind::protobuf);
}
BENCHMARK(BM_viewer_ingest_and_store_protobuf)->Unit(benchmark::kMillisecond);

void BM_viewer_ingest_and_store_protobuf_gzip(benchmark::State& state) {
  ingest_and_store(state, body_kind::protobuf_gzip);
}
BENCHMARK(BM_viewer_ingest_and_store_protobuf_gzip)->Unit(benchmark::kMillisecond);

void BM_viewer_ingest_and_store_json(benchmark::State& state) {
  ingest_and_store(state, body_kind::json);
}
BENCHMARK(BM_viewer_ingest_and_store_json)->Unit(benchmark::kMillisecond);

void BM_viewer_ingest_protobuf_only(benchmark::State& state) {
  const auto input = bodies(body_kind::protobuf);
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = viewer::ingest("application/x-protobuf", "", input[i++ % input.size()]);
    benchmark::DoNotOptimize(r.spans.data());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans_per_batch));
}
BENCHMARK(BM_viewer_ingest_protobuf_only)->Unit(benchmark::kMillisecond);

void BM_viewer_store_add_only(benchmark::State& state) {
  std::vector<std::vector<sdk::span_data>> input;
  for (std::size_t b = 0; b < batches; ++b) input.push_back(make_batch(b));
  auto store = memory_store();
  std::size_t i = 0;
  for (auto _ : state) {
    if (!store->add(input[i++ % input.size()])) {
      state.SkipWithError("add failed");
      break;
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * spans_per_batch));
}
BENCHMARK(BM_viewer_store_add_only)->Unit(benchmark::kMillisecond);

}  // namespace
