// SPDX-License-Identifier: Apache-2.0
// Client- and server-streaming calls: the context travels in the initial metadata, every
// callback of the streaming reactors runs in the call's context, and with record_messages each
// message is a `message` event on the RPC spans.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctxflow/context/scope.hpp"
#include "ctxflow/testing/span_recorder.hpp"
#include "integrations/grpc/grpc_fixture.hpp"
#include "streams.grpc.pb.h"

// Every member of the bidirectional reactor compiles (the tests use the other three).
template class ctxflow::integrations::grpc::server_bidi_reactor<ctxflowtest::Item,
                                                                ctxflowtest::Item>;

namespace ctxflow::test::grpc_tests {
namespace {

using ctxflowtest::Item;
using ctxflowtest::Summary;

/// True when the span current here is the call's SERVER span and "chain" is in the baggage.
bool in_call(const context& call) {
  return trace::current_span().context().span == trace::span_from(call).context().span &&
         propagation::baggage::current().get("chain").has_value();
}

class upload_reactor final : public cg::server_read_reactor<Item> {
 public:
  upload_reactor(::grpc::CallbackServerContext* call, Summary* summary)
      : server_read_reactor(call), summary_(summary) {
    StartRead(&item_);
  }

 protected:
  void on_read_done(bool ok) override {
    all_in_call_ = all_in_call_ && in_call(call_context());
    if (ok) {
      summary_->set_count(summary_->count() + 1);
      StartRead(&item_);
      return;
    }
    if (all_in_call_) {
      summary_->set_trace_id(hex(trace::current_span().context().trace));
      summary_->set_chain(std::string(*propagation::baggage::current().get("chain")));
    }
    Finish(::grpc::Status::OK);
  }

 private:
  Summary* summary_;
  Item item_;
  bool all_in_call_ = true;
};

class download_reactor final : public cg::server_write_reactor<Item> {
 public:
  download_reactor(::grpc::CallbackServerContext* call, int count)
      : server_write_reactor(call), left_(count) {
    next();
  }

 protected:
  void on_write_done(bool ok) override {
    all_in_call_ = all_in_call_ && in_call(call_context());
    if (!ok) {
      Finish(::grpc::Status::CANCELLED);
      return;
    }
    next();
  }

 private:
  void next() {
    if (left_-- == 0) {
      Finish(all_in_call_ ? ::grpc::Status::OK
                          : ::grpc::Status(::grpc::StatusCode::INTERNAL, "context lost"));
      return;
    }
    item_.set_text(hex(trace::current_span().context().trace));
    StartWrite(&item_);
  }
  Item item_;
  int left_;
  bool all_in_call_ = true;
};

class streams_service final : public ctxflowtest::Streams::CallbackService {
 public:
  ::grpc::ServerReadReactor<Item>* Upload(::grpc::CallbackServerContext* call,
                                          Summary* summary) override {
    return new upload_reactor(call, summary);
  }
  ::grpc::ServerWriteReactor<Item>* Download(::grpc::CallbackServerContext* call,
                                             const Item*) override {
    return new download_reactor(call, 3);
  }
};

struct streams_fixture {
  testing::span_recorder recorder;
  thread_probe probe;
  streams_service service;
  probed_server server;
  std::unique_ptr<ctxflowtest::Streams::Stub> stub;
  streams_fixture() {
    cg::server_options so;
    so.record_messages = true;
    server = start_probed(service, probe, so);
    cg::client_options co;
    co.record_messages = true;
    stub = ctxflowtest::Streams::NewStub(
        cg::make_channel(server.address(), ::grpc::InsecureChannelCredentials(), co));
  }
  ~streams_fixture() { server.grpc->Shutdown(deadline_in(1000)); }

  std::vector<std::string> message_types(trace::span_kind kind) {
    std::vector<std::string> types;
    for (const auto& s : recorder.spans()) {
      if (s.kind != kind) continue;
      for (const auto& e : s.events)
        for (const auto& a : e.attributes)
          if (a.key == "rpc.message.type") types.push_back(std::get<std::string>(a.value));
    }
    return types;
  }
};

TEST(GrpcStreaming, AClientStreamCarriesTheContextAndRecordsEachMessage) {
  streams_fixture f;
  std::string trace_id;
  Summary summary;
  ::grpc::Status status;
  {
    auto root = f.recorder.tracer().start_as_current_span("uploader");
    const auto b = propagation::baggage::current().set("chain", "upload");
    const scope with_b(propagation::with_baggage(context::current(), b));
    trace_id = hex(trace::current_span().context().trace);
    ::grpc::ClientContext client;
    client.set_deadline(deadline_in());
    auto writer = f.stub->Upload(&client, &summary);
    for (int i = 0; i < 3; ++i) {
      Item item;
      item.set_text(std::to_string(i));
      ASSERT_TRUE(writer->Write(item));
    }
    writer->WritesDone();
    status = writer->Finish();
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(summary.count(), 3);
  EXPECT_EQ(summary.trace_id(), trace_id);  // every reactor callback in the call's context
  EXPECT_EQ(summary.chain(), "upload");
  ASSERT_TRUE(f.recorder.wait_for(3));
  EXPECT_EQ(f.message_types(trace::span_kind::client),
            (std::vector<std::string>{"SENT", "SENT", "SENT", "RECEIVED"}));
  EXPECT_EQ(f.message_types(trace::span_kind::server),
            (std::vector<std::string>{"RECEIVED", "RECEIVED", "RECEIVED", "SENT"}));
  EXPECT_EQ(f.probe.dirty.load(), 0);
}

TEST(GrpcStreaming, AServerStreamCarriesTheContextAndRecordsEachMessage) {
  streams_fixture f;
  std::string trace_id;
  std::vector<std::string> texts;
  ::grpc::Status status;
  {
    auto root = f.recorder.tracer().start_as_current_span("downloader");
    const auto b = propagation::baggage::current().set("chain", "download");
    const scope with_b(propagation::with_baggage(context::current(), b));
    trace_id = hex(trace::current_span().context().trace);
    ::grpc::ClientContext client;
    client.set_deadline(deadline_in());
    Item request;
    auto reader = f.stub->Download(&client, request);
    Item item;
    while (reader->Read(&item)) texts.push_back(item.text());
    status = reader->Finish();
  }
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(texts, std::vector<std::string>(3, trace_id));
  ASSERT_TRUE(f.recorder.wait_for(3));
  EXPECT_EQ(f.message_types(trace::span_kind::client),
            (std::vector<std::string>{"SENT", "RECEIVED", "RECEIVED", "RECEIVED"}));
  EXPECT_EQ(f.message_types(trace::span_kind::server),
            (std::vector<std::string>{"RECEIVED", "SENT", "SENT", "SENT"}));
  EXPECT_EQ(f.probe.dirty.load(), 0);
}

}  // namespace
}  // namespace ctxflow::test::grpc_tests
