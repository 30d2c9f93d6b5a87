// SPDX-License-Identifier: Apache-2.0
// Runs the `ctxflow` program as a child process (posix_spawn, stdout and stderr captured through
// pipes, every wait bounded, killed by pid when a limit passes) and reads the span records of
// its JSON-lines output and of OTLP requests.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace ctxflow::cli::testing {

/// How a program ended and what it printed.
struct run_result {
  bool started = false;
  bool timed_out = false;  ///< the limit passed; the program was killed
  bool exited = false;     ///< ended by exit(); `code` is valid
  int code = -1;
  int signal = 0;          ///< the terminating signal, or 0
  std::string out;
  std::string err;
  std::chrono::milliseconds elapsed{0};
  /// For failure messages.
  std::string describe() const;
};

/// This process's environment without the OTEL_* and trace-context variables, plus `extra`
/// (`NAME=value` entries).
std::vector<std::string> clean_environment(const std::vector<std::string>& extra = {});

/// A started program. Destroying it kills (SIGKILL) and reaps a program still running.
class running_program {
 public:
  running_program(const std::string& path, const std::vector<std::string>& args,
                  const std::vector<std::string>& env);
  ~running_program();
  running_program(const running_program&) = delete;
  running_program& operator=(const running_program&) = delete;

  bool started() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  /// Reads output until stdout contains `marker` or `limit` passes; true when it does.
  bool wait_for_output(std::string_view marker, std::chrono::milliseconds limit);
  /// What the program has written to stdout so far (as read by the waits above).
  const std::string& output() const { return out_; }
  /// Sends `sig`; false when it could not be sent.
  bool send(int sig);
  /// Reads output until the program ends or `limit` passes (then kills it by pid).
  run_result finish(std::chrono::milliseconds limit);

 private:
  void pump(int timeout_ms);
  bool try_reap();

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  bool reaped_ = false;
  int status_ = 0;
  std::string out_;
  std::string err_;
  std::chrono::steady_clock::time_point start_;
};

/// Runs a program to its end (bounded by `limit`).
run_result run_program(const std::string& path, const std::vector<std::string>& args,
                       const std::vector<std::string>& env, std::chrono::milliseconds limit);

/// One span as an OTLP message carried it.
struct span_record {
  std::string trace_id;  // lowercase hex
  std::string span_id;
  std::string parent_span_id;
  std::string name;
  std::string service;   // the resource's service.name
  bool operator<(const span_record& o) const { return trace_id + span_id < o.trace_id + o.span_id; }
};

/// The spans of one OTLP/JSON `ExportTraceServiceRequest`; false when it does not parse.
bool spans_of_json(std::string_view json, std::vector<span_record>& out);
/// The spans of one binary OTLP `ExportTraceServiceRequest`; false when it does not parse.
bool spans_of_protobuf(const std::string& bytes, std::vector<span_record>& out);
/// Every span of a JSON-lines file; `lines_ok` is false when a line does not parse.
std::vector<span_record> spans_of_file(const std::string& path, bool& lines_ok);

/// A temporary directory, removed with its contents.
class scratch_dir {
 public:
  scratch_dir();
  ~scratch_dir();
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  bool ok() const { return !path_.empty(); }
  std::string file(const std::string& name) const;
  /// How many files it holds (the demo leaves no temporary file behind).
  std::size_t entries() const;

 private:
  std::string path_;
};

/// N from the "verified: N spans" line; -1 when there is none.
long verified_count(const std::string& out);

}  // namespace ctxflow::cli::testing
