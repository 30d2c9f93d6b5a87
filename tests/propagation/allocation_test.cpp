// SPDX-License-Identifier: Apache-2.0
// Allocation behaviour of the propagators, counted by a replaced global operator new (this
// program only): inject writes into a reused carrier in place, invalid input is rejected
// without allocating, and a parsed baggage is one allocation. Behaviour checks, not timing.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ctxflow/context/diagnostics.hpp"
#include "ctxflow/propagation/w3c_baggage.hpp"
#include "ctxflow/propagation/w3c_trace_context.hpp"
#include "test_support.hpp"

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
thread_local std::uint64_t allocations = 0;
}  // namespace

void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  ++allocations;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace ctxflow::propagation {
namespace {

using testing::headers;

// Allocations `f` makes on this thread.
template <class F>
std::uint64_t allocations_of(F&& f) {
  const std::uint64_t before = allocations;
  f();
  return allocations - before;
}

// Keeps reports away from stderr; reports themselves allocate nothing.
class quiet_diagnostics {
 public:
  quiet_diagnostics() : previous_(set_diagnostics_handler([](const diagnostic&) {})) {}
  ~quiet_diagnostics() { set_diagnostics_handler(std::move(previous_)); }

 private:
  diagnostics_handler previous_;
};

headers request(std::string_view name, std::string_view value) {
  return {{"host", "example.com"}, {"accept", "*/*"}, {std::string(name), std::string(value)}};
}

TEST(Traceparent, InjectIntoAReusedCarrierWritesTheFieldInPlaceWithoutAllocating) {
  const w3c_trace_context_propagator prop;
  const context ctx = testing::context_with(testing::make_span_context());
  headers h = request("accept-language", "en");
  inject(prop, ctx, h);  // adds the field
  const char* storage = h.back().second.data();
  const context other = testing::context_with(testing::make_span_context(
      "abcdefabcdefabcdefabcdefabcdef12", "abcdefabcdef1234", 0x00));
  EXPECT_EQ(allocations_of([&] { inject(prop, other, h); }), 0u);
  EXPECT_EQ(h.back().second.data(), storage);  // the same buffer, overwritten
  EXPECT_EQ(testing::header(h, "traceparent"),
            "00-abcdefabcdefabcdefabcdefabcdef12-abcdefabcdef1234-00");
}

TEST(Traceparent, InjectIntoAMapWritesTheSameValueAsIntoAHeaderList) {
  const w3c_trace_context_propagator prop;
  const context ctx = testing::context_with(testing::make_span_context());
  std::map<std::string, std::string> m{{"traceparent", "old"}};
  std::multimap<std::string, std::string> mm{{"traceparent", "a"}, {"traceparent", "b"}};
  headers h;
  inject(prop, ctx, m);
  inject(prop, ctx, mm);
  inject(prop, ctx, h);
  EXPECT_EQ(m.at("traceparent"), testing::header(h, "traceparent"));
  ASSERT_EQ(mm.count("traceparent"), 1u);
  EXPECT_EQ(mm.find("traceparent")->second, testing::header(h, "traceparent"));
}

TEST(Traceparent, EachKindOfInvalidHeaderIsRejectedWithoutAllocating) {
  quiet_diagnostics quiet;
  const w3c_trace_context_propagator prop;
  const context base;
  const std::string_view kinds[] = {
      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",     // wrong shape
      "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",  // bad hex
      "00-00000000000000000000000000000000-b7ad6b7169203331-01",  // zero trace id
      "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  // zero span id
      "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  // version ff
  };
  (void)extract(prop, base, request("traceparent", kinds[0]));  // this thread's first report
  for (std::string_view v : kinds) {
    const headers h = request("traceparent", v);
    context out;
    EXPECT_EQ(allocations_of([&] { out = extract(prop, base, h); }), 0u) << v;
    EXPECT_FALSE(trace::span_context_from(out).valid()) << v;
  }
}

TEST(Tracestate, AnInvalidTracestateIsDroppedWithoutAllocatingForIt) {
  quiet_diagnostics quiet;
  const w3c_trace_context_propagator prop;
  const context base;
  headers h = request("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  (void)extract(prop, base, h);  // warms the remote-parent block cache
  const std::uint64_t without = allocations_of([&] { (void)extract(prop, base, h); });
  h.emplace_back("tracestate", "Rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  context out;
  EXPECT_EQ(allocations_of([&] { out = extract(prop, base, h); }), without);
  EXPECT_TRUE(trace::span_context_from(out).valid());
  EXPECT_TRUE(trace::span_context_from(out).state.empty());
}

TEST(Baggage, AParsedBaggageIsOneAllocationOfExactlyItsSize) {
  const std::string_view field =
      "userId=alice,serverNode=DF%2028,isProduction=false,tenant=acme,region=eu-west-1,"
      "plan=gold,session=6f1c2a9e,feature=new-checkout,requestClass=interactive,origin=web;ttl=30";
  baggage b;
  EXPECT_EQ(allocations_of([&] { b = parse_baggage(std::span(&field, 1)); }), 1u);
  ASSERT_EQ(b.size(), 10u);
  EXPECT_EQ(b.get("serverNode"), "DF 28");
  EXPECT_EQ(b.find("origin")->metadata, "ttl=30");
}

TEST(Baggage, AHeaderOfOnlyInvalidMembersIsRejectedWithoutAllocating) {
  quiet_diagnostics quiet;
  const w3c_baggage_propagator prop;
  const context base;
  const headers h = request("baggage", "userId:alice,tenant:acme, bad key=1,k=v\"q");
  (void)extract(prop, base, h);
  context out;
  EXPECT_EQ(allocations_of([&] { out = extract(prop, base, h); }), 0u);
  EXPECT_TRUE(baggage::from(out).empty());
}

}  // namespace
}  // namespace ctxflow::propagation
