// SPDX-License-Identifier: Apache-2.0
// trace_store: what goes in comes out field for field; summaries, filters, the limit and
// retention; a file store survives reopening and refuses a second user; bad files are named.
#include "ctxflow/viewer/trace_store.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "ctxflow/testing/diagnostics_capture.hpp"
#include "viewer/serve_test_support.hpp"

namespace ctxflow::viewer {
namespace {

using testing::rich_span;
using testing::service_resource;
using testing::trace_number;

std::unique_ptr<trace_store> open_store(store_options o = {}) {
  std::string error;
  auto s = trace_store::open(o, error);
  EXPECT_TRUE(s) << error;
  return s;
}

/// A temporary directory for database files, removed with its contents.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() /
           ("ctxflow-store-test-" + std::to_string(::getpid()) + "-" +
            std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Trace `t`: a root and two children from `service` (the second child an error when asked).
std::vector<sdk::span_data> three_span_trace(std::uint64_t t, std::uint64_t start,
                                             const std::string& service = "shop",
                                             const std::string& root_name = "GET /orders",
                                             bool with_error = false) {
  const auto res = service_resource(service);
  const auto db = service_resource("db");
  return {rich_span(t, t * 10 + 1, 0, root_name, res, start, start + 1000),
          rich_span(t, t * 10 + 2, t * 10 + 1, "load", res, start + 100, start + 600),
          rich_span(t, t * 10 + 3, t * 10 + 1, "SELECT orders", db, start + 200, start + 400,
                    with_error)};
}

TEST(TraceStore, AddedSpansComeBackFieldForFieldFromGet) {
  auto store = open_store();
  const auto spans = three_span_trace(1, 1'000'000);
  ASSERT_TRUE(store->add(spans));
  const auto got = store->get(trace_number(1));
  EXPECT_EQ(testing::differences(spans, got), "");
  EXPECT_TRUE(store->get(trace_number(2)).empty());
  EXPECT_EQ(store->trace_count(), 1u);
  EXPECT_EQ(store->span_count(), 3u);
}

TEST(TraceStore, ListAnswersNewestFirstWithRootNameServicesAndCounts) {
  auto store = open_store();
  ASSERT_TRUE(store->add(three_span_trace(1, 5'000, "shop", "GET /a")));
  ASSERT_TRUE(store->add(three_span_trace(2, 9'000, "cart", "GET /b", true)));
  ASSERT_TRUE(store->add(three_span_trace(3, 7'000, "shop", "GET /c")));
  const auto list = store->list({});
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].trace_id, trace_number(2));
  EXPECT_EQ(list[1].trace_id, trace_number(3));
  EXPECT_EQ(list[2].trace_id, trace_number(1));
  EXPECT_EQ(list[0].name, "GET /b");
  EXPECT_EQ(list[0].service, "cart");
  EXPECT_EQ(list[0].services, (std::vector<std::string>{"cart", "db"}));
  EXPECT_EQ(list[0].start_time_unix_nano, 9'000u);
  EXPECT_EQ(list[0].duration_nano(), 1000u);
  EXPECT_EQ(list[0].span_count, 3u);
  EXPECT_EQ(list[0].error_count, 1u);
  EXPECT_EQ(list[1].error_count, 0u);
  EXPECT_GT(list[0].updated_unix_nano, 0u);
}

TEST(TraceStore, ATraceWithoutRootIsNamedAfterItsEarliestSpan) {
  auto store = open_store();
  const auto res = service_resource("worker");
  std::vector<sdk::span_data> spans{rich_span(4, 42, 99, "late", res, 300, 400),
                                    rich_span(4, 43, 99, "early", res, 100, 200)};
  ASSERT_TRUE(store->add(spans));
  trace_summary s;
  ASSERT_TRUE(store->summary(trace_number(4), s));
  EXPECT_EQ(s.name, "early");
  EXPECT_EQ(s.service, "worker");
  EXPECT_EQ(s.duration_nano(), 300u);
}

TEST(TraceStore, ListFiltersByServiceNameSubstringAndMinimumDuration) {
  auto store = open_store();
  ASSERT_TRUE(store->add(three_span_trace(1, 1'000, "shop", "GET /orders")));
  ASSERT_TRUE(store->add(three_span_trace(2, 2'000, "cart", "POST /cart")));
  auto long_trace = three_span_trace(3, 3'000, "cart", "GET /slow");
  long_trace[0].end_time_unix_nano = 3'000 + 50'000;
  ASSERT_TRUE(store->add(long_trace));

  auto ids = [&](const trace_query& q) {
    std::vector<trace::trace_id> out;
    for (const auto& t : store->list(q)) out.push_back(t.trace_id);
    return out;
  };
  trace_query q;
  q.service = "cart";
  EXPECT_EQ(ids(q), (std::vector{trace_number(3), trace_number(2)}));
  q.service = "db";  // a service of a child span counts too
  EXPECT_EQ(ids(q).size(), 3u);
  q.service = "nobody";
  EXPECT_TRUE(ids(q).empty());
  q = {};
  q.name = "/cart";
  EXPECT_EQ(ids(q), (std::vector{trace_number(2)}));
  q.name = "SELECT";  // a child's name matches as well
  EXPECT_EQ(ids(q).size(), 3u);
  q = {};
  q.min_duration_nano = 10'000;
  EXPECT_EQ(ids(q), (std::vector{trace_number(3)}));
  q.service = "shop";
  EXPECT_TRUE(ids(q).empty());
}

TEST(TraceStore, ListStopsAtTheLimit) {
  auto store = open_store();
  for (std::uint64_t t = 1; t <= 7; ++t) ASSERT_TRUE(store->add(three_span_trace(t, t * 10'000)));
  trace_query q;
  q.limit = 3;
  const auto list = store->list(q);
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].trace_id, trace_number(7));
  EXPECT_EQ(list[2].trace_id, trace_number(5));
}

TEST(TraceStore, ASpanSentAgainReplacesTheFirstCopy) {
  auto store = open_store();
  auto spans = three_span_trace(1, 1'000);
  ASSERT_TRUE(store->add(spans));
  spans[1].name = "load again";
  ASSERT_TRUE(store->add(std::span<const sdk::span_data>(spans.data() + 1, 1)));
  EXPECT_EQ(store->span_count(), 3u);
  trace_summary s;
  ASSERT_TRUE(store->summary(trace_number(1), s));
  EXPECT_EQ(s.span_count, 3u);
  EXPECT_EQ(testing::differences(spans, store->get(trace_number(1))), "");
}

TEST(TraceStore, SpansOfOneTraceArrivingInTwoBatchesUpdateItsSummary) {
  auto store = open_store();
  const auto spans = three_span_trace(1, 1'000, "shop", "root", true);
  ASSERT_TRUE(store->add(std::span<const sdk::span_data>(spans.data() + 1, 2)));
  trace_summary s;
  ASSERT_TRUE(store->summary(trace_number(1), s));
  EXPECT_EQ(s.name, "load");
  EXPECT_EQ(s.span_count, 2u);
  ASSERT_TRUE(store->add(std::span<const sdk::span_data>(spans.data(), 1)));
  ASSERT_TRUE(store->summary(trace_number(1), s));
  EXPECT_EQ(s.name, "root");
  EXPECT_EQ(s.span_count, 3u);
  EXPECT_EQ(s.error_count, 1u);
  EXPECT_EQ(s.start_time_unix_nano, 1'000u);
  EXPECT_EQ(s.duration_nano(), 1'000u);
  EXPECT_EQ(store->trace_count(), 1u);
}

TEST(TraceStore, RetentionKeepsTheLastNTracesReceivedAndDeletesTheirSpans) {
  store_options o;
  o.max_traces = 3;
  auto store = open_store(o);
  // Received in order 1..5, with start times that do not follow that order.
  for (std::uint64_t t = 1; t <= 5; ++t)
    ASSERT_TRUE(store->add(three_span_trace(t, (6 - t) * 10'000)));
  EXPECT_EQ(store->trace_count(), 3u);
  EXPECT_EQ(store->span_count(), 9u);
  EXPECT_TRUE(store->get(trace_number(1)).empty());
  EXPECT_TRUE(store->get(trace_number(2)).empty());
  for (std::uint64_t t = 3; t <= 5; ++t) EXPECT_EQ(store->get(trace_number(t)).size(), 3u) << t;
  EXPECT_EQ(store->list({}).size(), 3u);
}

TEST(TraceStore, OneBatchBringingMoreThanTheBoundKeepsOnlyTheBound) {
  store_options o;
  o.max_traces = 2;
  auto store = open_store(o);
  std::vector<sdk::span_data> batch;
  for (std::uint64_t t = 1; t <= 5; ++t)
    for (auto& s : three_span_trace(t, t * 10'000)) batch.push_back(std::move(s));
  ASSERT_TRUE(store->add(batch));
  EXPECT_EQ(store->trace_count(), 2u);
  EXPECT_EQ(store->span_count(), 6u);
}

TEST(TraceStore, AFileStoreSurvivesReopening) {
  temp_dir dir;
  store_options o;
  o.path = (dir.path / "traces.db").string();
  const auto spans = three_span_trace(1, 1'000);
  {
    auto store = open_store(o);
    ASSERT_TRUE(store->add(spans));
  }
  auto store = open_store(o);
  ASSERT_TRUE(store);
  EXPECT_EQ(store->trace_count(), 1u);
  EXPECT_EQ(testing::differences(spans, store->get(trace_number(1))), "");
  // Arrival order goes on where it stopped: retention still drops the first trace.
  store.reset();
  o.max_traces = 1;
  store = open_store(o);
  ASSERT_TRUE(store->add(three_span_trace(2, 500)));
  EXPECT_TRUE(store->get(trace_number(1)).empty());
  EXPECT_EQ(store->get(trace_number(2)).size(), 3u);
}

TEST(TraceStore, ASecondStoreOnTheSameFileFailsAtOpenSayingItIsLocked) {
  temp_dir dir;
  store_options o;
  o.path = (dir.path / "traces.db").string();
  o.busy_timeout = std::chrono::milliseconds(50);
  auto first = open_store(o);
  ASSERT_TRUE(first);
  ctxflow::testing::diagnostics_capture diags;
  std::string error;
  auto second = trace_store::open(o, error);
  EXPECT_FALSE(second);
  EXPECT_NE(error.find("locked"), std::string::npos) << error;
  EXPECT_NE(error.find(o.path), std::string::npos) << error;
  EXPECT_EQ(diags.count("viewer.store.open_failed"), 1u);
  // The first store is unaffected.
  EXPECT_TRUE(first->add(three_span_trace(1, 1'000)));
}

TEST(TraceStore, AFileThatIsNotADatabaseFailsAtOpenWithAClearError) {
  temp_dir dir;
  const auto path = dir.path / "notes.txt";
  {
    std::ofstream f(path);
    for (int i = 0; i < 200; ++i) f << "this is a text file, not a database\n";
  }
  ctxflow::testing::diagnostics_capture diags;
  store_options o;
  o.path = path.string();
  std::string error;
  EXPECT_FALSE(trace_store::open(o, error));
  EXPECT_NE(error.find("not a SQLite database"), std::string::npos) << error;
  EXPECT_EQ(diags.count("viewer.store.open_failed"), 1u);
}

TEST(TraceStore, AForeignSqliteDatabaseIsRefused) {
  temp_dir dir;
  store_options o;
  o.path = (dir.path / "other.db").string();
  {
    // A database of some other program: a table, and no ctxflow schema version.
    auto store = open_store(o);
  }
  {
    std::fstream f(o.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(60);  // the header's user_version field
    const char other[4] = {0, 0, 0, 7};
    f.write(other, 4);
  }
  ctxflow::testing::diagnostics_capture diags;
  std::string error;
  EXPECT_FALSE(trace_store::open(o, error));
  EXPECT_NE(error.find("not a ctxflow trace store"), std::string::npos) << error;
}

TEST(TraceStore, ADirectoryThatDoesNotExistFailsAtOpenNamingThePath) {
  ctxflow::testing::diagnostics_capture diags;
  store_options o;
  o.path = "/nonexistent-ctxflow-dir/sub/traces.db";
  std::string error;
  EXPECT_FALSE(trace_store::open(o, error));
  EXPECT_NE(error.find(o.path), std::string::npos) << error;
}

TEST(TraceStore, SpansWithInvalidIdsAreSkippedAndABatchOfOnlyThoseIsReported) {
  auto store = open_store();
  ctxflow::testing::diagnostics_capture diags;
  auto spans = three_span_trace(1, 1'000);
  spans[2].context.span = {};
  ASSERT_TRUE(store->add(spans));
  EXPECT_EQ(store->span_count(), 2u);
  std::vector<sdk::span_data> bad{spans[2]};
  EXPECT_FALSE(store->add(bad));
  EXPECT_EQ(diags.count("viewer.store.write_failed"), 1u);
  EXPECT_EQ(store->span_count(), 2u);
}

TEST(TraceStore, ConcurrentWritersAndReadersLoseNoSpan) {
  store_options o;
  o.max_traces = 0;
  auto store = open_store(o);
  constexpr int writers = 4, per_writer = 50;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < per_writer; ++i)
        EXPECT_TRUE(store->add(three_span_trace(static_cast<std::uint64_t>(w * 1000 + i + 1), 1'000 + i)));
    });
  threads.emplace_back([&] {
    for (int i = 0; i < 100; ++i) (void)store->list({});
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(store->trace_count(), static_cast<std::size_t>(writers * per_writer));
  EXPECT_EQ(store->span_count(), static_cast<std::size_t>(writers * per_writer * 3));
}

TEST(TraceListJson, HasTheFieldsOfTheApiContract) {
  trace_summary t;
  t.trace_id = trace_number(9);
  t.name = "GET \"/x\"";
  t.service = "shop";
  t.services = {"db", "shop"};
  t.start_time_unix_nano = 1'700'000'000'123'456'789ull;
  t.end_time_unix_nano = t.start_time_unix_nano + 5'000;
  t.span_count = 3;
  t.error_count = 1;
  const auto j = nlohmann::json::parse(trace_list_json(std::span<const trace_summary>(&t, 1)));
  ASSERT_EQ(j["traces"].size(), 1u);
  const auto& e = j["traces"][0];
  const auto hex = trace_number(9).to_hex();
  EXPECT_EQ(e["traceId"], std::string(hex.data(), hex.size()));
  EXPECT_EQ(e["name"], "GET \"/x\"");
  EXPECT_EQ(e["service"], "shop");
  EXPECT_EQ(e["services"], nlohmann::json::array({"db", "shop"}));
  EXPECT_EQ(e["startTimeUnixNano"], "1700000000123456789");
  EXPECT_EQ(e["durationNano"], "5000");
  EXPECT_EQ(e["spanCount"], 3);
  EXPECT_EQ(e["errorCount"], 1);
  EXPECT_EQ(nlohmann::json::parse(trace_list_json({})), nlohmann::json::parse(R"({"traces":[]})"));
}

TEST(AppendJsonString, EscapesControlCharactersAndReplacesInvalidUtf8) {
  std::string out;
  append_json_string(out, std::string_view("a\"b\\c\n\x01\xc3\xa9\xff\xe2\x82", 12));
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_FALSE(nlohmann::json::parse(out, nullptr, false).is_discarded());
}

}  // namespace
}  // namespace ctxflow::viewer
