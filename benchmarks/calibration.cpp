// SPDX-License-Identifier: Apache-2.0
// The main() of every benchmark program: it adds the machine's own floor to each run and prints
// every result as a multiple of it, so that figures taken on a fast day and on a slow day can be
// compared (benchmarks/README.md, "Calibration").
//
// The floor is one iteration of the three costs every hot path here is built from:
//   - a pair of atomic increments (a reference-count copy and release);
//   - one thread-local load (the current context);
//   - one clock_gettime(CLOCK_REALTIME) (a span timestamp).
// Each is also measured alone. The calibration benchmarks run in every invocation, also when
// --benchmark_filter selects others, and the table at the end of the console report gives each
// benchmark's time divided by the floor measured in the same run.
#include <benchmark/benchmark.h>

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr std::string_view calibration_prefix = "BM_calibration_";

std::atomic<std::uint64_t> floor_counter{0};
thread_local constinit std::uint64_t floor_tls = 1;

void atomic_pair() {
  floor_counter.fetch_add(1, std::memory_order_acq_rel);
  floor_counter.fetch_add(1, std::memory_order_acq_rel);
}

void tls_load() {
  benchmark::ClobberMemory();  // the load below cannot be hoisted out of the loop
  std::uint64_t v = floor_tls;
  benchmark::DoNotOptimize(v);
}

void clock_read() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  benchmark::DoNotOptimize(ts);
}

void BM_calibration_atomic_pair(benchmark::State& state) {
  for (auto _ : state) atomic_pair();
}

void BM_calibration_tls_load(benchmark::State& state) {
  for (auto _ : state) tls_load();
}

void BM_calibration_clock_gettime(benchmark::State& state) {
  for (auto _ : state) clock_read();
}

void BM_calibration_floor(benchmark::State& state) {
  for (auto _ : state) {
    atomic_pair();
    tls_load();
    clock_read();
  }
}

/// One benchmark's time per iteration in nanoseconds (see to_ns): the median when repetitions produced one,
/// else the last plain run.
struct result {
  std::string name;
  double ns = 0;
  bool from_median = false;
};

/// CPU time per iteration, or wall time for benchmarks that asked for it (UseRealTime: the
/// multi-threaded ones), in nanoseconds. CPU time keeps a busy neighbour's share out of
/// single-threaded figures.
double to_ns(const benchmark::BenchmarkReporter::Run& run) {
  const double t = run.run_name.time_type.empty() ? run.GetAdjustedCPUTime()
                                                  : run.GetAdjustedRealTime();
  switch (run.time_unit) {
    case benchmark::kNanosecond: return t;
    case benchmark::kMicrosecond: return t * 1e3;
    case benchmark::kMillisecond: return t * 1e6;
    case benchmark::kSecond: return t * 1e9;
  }
  return t;
}

/// The console report, followed by the calibration table.
class calibrated_console final : public benchmark::ConsoleReporter {
 public:
  using ConsoleReporter::ConsoleReporter;

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      const std::string name = run.run_name.str();
      result* r = find(name);
      if (!r) {
        results_.push_back({name, 0, false});
        r = &results_.back();
      }
      if (median || !r->from_median) {
        r->ns = to_ns(run);
        r->from_median = median;
      }
    }
  }

  void Finalize() override {
    ConsoleReporter::Finalize();
    const result* floor = find(std::string(calibration_prefix) + "floor");
    if (!floor || floor->ns <= 0) return;
    auto component = [&](const char* what) {
      const result* r = find(std::string(calibration_prefix) + what);
      return r ? r->ns : 0.0;
    };
    std::FILE* out = stdout;
    std::fflush(out);
    std::fprintf(out,
                 "\nCalibration: floor %.1f ns per iteration (atomic pair %.1f ns, TLS load %.2f ns, "
                 "clock_gettime %.1f ns), measured in this run.\n",
                 floor->ns, component("atomic_pair"), component("tls_load"),
                 component("clock_gettime"));
    std::size_t width = 9;
    for (const result& r : results_) width = std::max(width, r.name.size());
    std::fprintf(out, "%-*s %12s %10s\n", static_cast<int>(width), "benchmark", "ns", "x floor");
    for (const result& r : results_) {
      if (std::string_view(r.name).starts_with(calibration_prefix)) continue;
      std::fprintf(out, "%-*s %12.1f %10.2f\n", static_cast<int>(width), r.name.c_str(), r.ns,
                   r.ns / floor->ns);
    }
    std::fflush(out);
  }

 private:
  result* find(const std::string& name) {
    for (result& r : results_)
      if (r.name == name) return &r;
    return nullptr;
  }

  std::vector<result> results_;
};

/// True when argv asks for a format other than the console one.
bool non_console_format(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    constexpr std::string_view flag = "--benchmark_format=";
    const std::string_view arg = argv[i];
    if (arg.starts_with(flag) && arg.substr(flag.size()) != "console") return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  // Registered in main, after every program's own benchmarks, so they run last.
  benchmark::RegisterBenchmark("BM_calibration_atomic_pair", BM_calibration_atomic_pair);
  benchmark::RegisterBenchmark("BM_calibration_tls_load", BM_calibration_tls_load);
  benchmark::RegisterBenchmark("BM_calibration_clock_gettime", BM_calibration_clock_gettime);
  benchmark::RegisterBenchmark("BM_calibration_floor", BM_calibration_floor);

  const bool console = !non_console_format(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  // A positive filter also selects the calibration; a negative one ("-regex") leaves it in.
  const std::string filter = benchmark::GetBenchmarkFilter();
  if (!filter.empty() && filter != "." && filter != "all" && filter.front() != '-')
    benchmark::SetBenchmarkFilter("(" + filter + ")|^" + std::string(calibration_prefix));

  if (console) {
    calibrated_console reporter(::isatty(STDOUT_FILENO) ? benchmark::ConsoleReporter::OO_Color
                                                        : benchmark::ConsoleReporter::OO_None);
    benchmark::RunSpecifiedBenchmarks(&reporter);
  } else {
    benchmark::RunSpecifiedBenchmarks();
  }
  benchmark::Shutdown();
  return 0;
}
