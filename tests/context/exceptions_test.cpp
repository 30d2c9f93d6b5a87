// SPDX-License-Identifier: Apache-2.0
// ctxflow/macros.hpp: CTXFLOW_TRY / CTXFLOW_CATCH_ALL, current_exception_message() and
// describe_exception(), the one place that tells exception types apart.
#include "ctxflow/macros.hpp"

#include <gtest/gtest.h>

#include <exception>
#include <stdexcept>
#include <string>

namespace {

TEST(Exceptions, TheHandlerOfCatchAllNamesWhatAStandardExceptionSaid) {
  std::string seen;
  CTXFLOW_TRY { throw std::runtime_error("disk full"); }
  CTXFLOW_CATCH_ALL { seen = ctxflow::current_exception_message(); }
  EXPECT_EQ(seen, "disk full");
}

TEST(Exceptions, ANonStandardExceptionIsNamedAsSuchAndNoHandlerMeansNoException) {
  std::string seen;
  CTXFLOW_TRY { throw 42; }
  CTXFLOW_CATCH_ALL { seen = ctxflow::current_exception_message(); }
  EXPECT_EQ(seen, "a non-standard exception");
  EXPECT_STREQ(ctxflow::current_exception_message(), "no exception");
}

TEST(Exceptions, DescribeNamesAStandardExceptionByTypeAndMessage) {
  std::string type;
  std::string message;
  const auto origin = ctxflow::describe_exception(
      std::make_exception_ptr(std::invalid_argument("bad id")), type, message);
  EXPECT_EQ(origin, ctxflow::exception_origin::standard);
  EXPECT_EQ(type, "std::invalid_argument");
  EXPECT_EQ(message, "bad id");
}

TEST(Exceptions, DescribeNamesAnythingElseByTypeOnlyAndLeavesTheMessage) {
  std::string type;
  std::string message = "unchanged";
  const auto origin = ctxflow::describe_exception(std::make_exception_ptr(7), type, message);
  EXPECT_EQ(origin, ctxflow::exception_origin::other);
  EXPECT_EQ(type, "int");
  EXPECT_EQ(message, "unchanged");
}

TEST(Exceptions, DescribeOfAnEmptyPointerDescribesNothing) {
  std::string type = "t";
  std::string message = "m";
  EXPECT_EQ(ctxflow::describe_exception(nullptr, type, message), ctxflow::exception_origin::none);
  EXPECT_EQ(type, "t");
  EXPECT_EQ(message, "m");
}

}  // namespace
