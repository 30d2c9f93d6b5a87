// SPDX-License-Identifier: Apache-2.0
// The readers on input nobody wrote on purpose: seeded random bytes and mutations of valid
// requests. Neither reader may crash (a throw out of a noexcept function would end the test
// program); a failure leaves the output alone and says why; whatever is accepted encodes and
// decodes again to the same spans.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "ctxflow/exporters/otlp/json_encoder.hpp"
#include "ctxflow/exporters/otlp/proto_encoder.hpp"
#include "ctxflow/viewer/otlp_reader.hpp"
#include "viewer/rich_spans.hpp"
#include "viewer/span_equality.hpp"

namespace {

using namespace ctxflow;
using viewer::testing::pointers;
using viewer::testing::rich_batch;
using viewer::testing::spans_difference;

enum class format { protobuf, json };

bool decode(format f, std::string_view in, std::vector<sdk::span_data>& out, std::string& error) {
  return f == format::protobuf ? viewer::decode_protobuf(in, out, error) : viewer::decode_json(in, out, error);
}

std::string encode(format f, const std::vector<sdk::span_data>& spans) {
  std::string out;
  if (f == format::protobuf)
    exporters::otlp::encode_protobuf(pointers(spans), out);
  else
    exporters::otlp::encode_json(pointers(spans), out);
  return out;
}

std::string mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 4);
  std::uniform_int_distribution<int> byte(0, 255);
  const int rounds = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int r = 0; r < rounds && !s.empty(); ++r) {
    std::uniform_int_distribution<std::size_t> at(0, s.size() - 1);
    switch (op(rng)) {
      case 0: s[at(rng)] = static_cast<char>(byte(rng)); break;               // overwrite
      case 1: s[at(rng)] ^= static_cast<char>(1 << (byte(rng) % 8)); break;   // flip a bit
      case 2: s.resize(at(rng)); break;                                       // truncate
      case 3: s.insert(at(rng), 1, static_cast<char>(byte(rng))); break;      // insert
      default: {                                                              // duplicate a run
        const std::size_t from = at(rng);
        const std::size_t n = std::min<std::size_t>(s.size() - from, 1 + byte(rng));
        s.insert(at(rng), s.substr(from, n));
      }
    }
  }
  return s;
}

// Checks the properties for one input; returns true when it was accepted.
bool check(format f, const std::string& input) {
  std::vector<sdk::span_data> out(1);
  out[0].name = "sentinel";
  std::string error;
  if (!decode(f, input, out, error)) {
    EXPECT_FALSE(error.empty());
    EXPECT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].name, "sentinel");
    return false;
  }
  out.erase(out.begin());
  for (const format again : {format::protobuf, format::json}) {
    std::vector<sdk::span_data> back;
    std::string error2;
    EXPECT_TRUE(decode(again, encode(again, out), back, error2)) << error2;
    EXPECT_EQ(spans_difference(out, back), "");
  }
  return true;
}

class ReaderRobustness : public ::testing::TestWithParam<format> {};

TEST_P(ReaderRobustness, RandomBytesNeverCrashAndFailuresLeaveTheOutputAlone) {
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int> len(0, 200);
  std::uniform_int_distribution<int> byte(0, 255);
  const std::string alphabet = GetParam() == format::json ? "{}[]\":,0123456789-.eEtrufalsn \\" : "";
  for (int i = 0; i < 3000; ++i) {
    std::string input(static_cast<std::size_t>(len(rng)), '\0');
    for (char& c : input) {
      c = alphabet.empty() || i % 2 == 0
              ? static_cast<char>(byte(rng))
              : alphabet[static_cast<std::size_t>(byte(rng)) % alphabet.size()];
    }
    check(GetParam(), input);
    if (HasFailure()) FAIL() << "input " << i;
  }
}

TEST_P(ReaderRobustness, MutationsOfAValidRequestNeverCrashAndWhatIsAcceptedRoundTrips) {
  const std::string valid = encode(GetParam(), rich_batch());
  std::mt19937 rng(7);
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    accepted += check(GetParam(), mutate(valid, rng)) ? 1 : 0;
    if (HasFailure()) FAIL() << "mutation " << i;
  }
  // Some mutations land in places that keep the request valid (values, names, unknown bytes),
  // so both outcomes are exercised.
  EXPECT_GT(accepted, 0);
  EXPECT_LT(accepted, 3000);
}

INSTANTIATE_TEST_SUITE_P(Formats, ReaderRobustness, ::testing::Values(format::protobuf, format::json),
                         [](const auto& param_info) {
                           return param_info.param == format::protobuf ? std::string("Protobuf") : std::string("Json");
                         });

}  // namespace
