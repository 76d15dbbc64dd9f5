#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <random>

#include <sys/resource.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "kinglet/model.h"
#include "kinglet/session.h"

namespace kinglet::cli {

namespace {
constexpr char kHelp[] =
    "usage: kinglet bench MODEL.kgl [--threads N] [--runs R] [--warmup W] [--json]\n"
    "\n"
    "Times Session::Run on random inputs (free dims = 1) after W warm-up runs (default 5) and\n"
    "prints the median, p10 and p90 over R runs (default 50) in milliseconds, plus load time\n"
    "and arena size. --json prints one JSON object instead.\n";

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\u%04x", c);
      out += escaped;
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Resident set now (from /proc/self/statm) and the process's high-water mark, in KB: the bench
// reports both so the model's own footprint (peak minus before-load) can be compared with a peer
// whose runtime has a different baseline.
long CurrentRssKb() {
  long pages_total = 0, pages_resident = 0;
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  const int read = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  return read == 2 ? pages_resident * (sysconf(_SC_PAGESIZE) / 1024) : 0;
}

long PeakRssKb() {
  rusage usage{};
  return getrusage(RUSAGE_SELF, &usage) == 0 ? usage.ru_maxrss : 0;
}

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const double pos = p * (v.size() - 1);
  const size_t lo = static_cast<size_t>(pos);
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}
}  // namespace

int BenchCommand(const std::vector<std::string>& argv) {
  auto args = Args::Parse(argv, {"--threads", "--runs", "--warmup"}, {"--json", "--help", "-h"});
  if (!args.ok()) return UsageError("bench", args.status().message());
  if (args->Has("--help") || args->Has("-h")) {
    std::cout << kHelp;
    return kExitOk;
  }
  if (args->positional().size() != 1) return UsageError("bench", "expected exactly one MODEL.kgl");
  auto threads = args->GetInt("--threads", 1, 0, 256);
  auto runs = args->GetInt("--runs", 50, 1, 1000000);
  auto warmup = args->GetInt("--warmup", 5, 0, 1000000);
  for (const auto* r : {&threads, &runs, &warmup}) {
    if (!r->ok()) return UsageError("bench", r->status().message());
  }

  using Clock = std::chrono::steady_clock;
  const long rss_before_kb = CurrentRssKb();
  const auto load_start = Clock::now();
  auto model = Model::LoadFile(args->positional()[0]);
  if (!model.ok()) return Fail("bench", model.status());
  auto session = Session::Create(*model, SessionOptions{*threads});
  if (!session.ok()) return Fail("bench", session.status());
  const double load_ms = std::chrono::duration<double, std::milli>(Clock::now() - load_start).count();

  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  std::vector<NamedTensor> inputs;
  for (const TensorSpec& spec : (*model)->inputs()) {
    Shape shape = spec.shape;
    for (int64_t& d : shape) d = d < 0 ? 1 : d;
    Tensor t(spec.dtype, shape);
    if (spec.dtype == DataType::kFloat32) {
      for (int64_t i = 0; i < t.element_count(); ++i) t.data<float>()[i] = normal(rng);
    }
    inputs.push_back({spec.name, t});
  }
  std::vector<NamedTensor> outputs;
  for (int i = 0; i < *warmup; ++i) {
    Status s = (*session)->Run(inputs, &outputs);
    if (!s.ok()) return Fail("bench", s);
  }
  std::vector<double> ms;
  for (int i = 0; i < *runs; ++i) {
    const auto t0 = Clock::now();
    Status s = (*session)->Run(inputs, &outputs);
    const auto t1 = Clock::now();
    if (!s.ok()) return Fail("bench", s);
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  const double median = Percentile(ms, 0.5), p10 = Percentile(ms, 0.1), p90 = Percentile(ms, 0.9);
  std::cout << std::fixed << std::setprecision(4);
  if (args->Has("--json")) {
    std::cout << "{\"model\": " << JsonString(args->positional()[0]) << ", \"threads\": " << *threads
              << ", \"runs\": " << *runs << ", \"median_ms\": " << median << ", \"p10_ms\": " << p10
              << ", \"p90_ms\": " << p90 << ", \"load_ms\": " << load_ms
              << ", \"arena_bytes\": " << (*session)->arena_bytes() << ", \"peak_rss_kb\": " << PeakRssKb()
              << ", \"rss_before_load_kb\": " << rss_before_kb << "}\n";
  } else {
    std::cout << args->positional()[0] << ": median " << median << " ms, p10 " << p10 << " ms, p90 " << p90
              << " ms over " << *runs << " runs (" << *threads << " thread(s), " << *warmup << " warm-up)\n"
              << "load " << load_ms << " ms, arena " << (*session)->arena_bytes() << " bytes, peak RSS "
              << PeakRssKb() << " KB (" << rss_before_kb << " KB before loading)\n";
  }
  return kExitOk;
}

}  // namespace kinglet::cli
