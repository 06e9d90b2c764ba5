// audit_bench: what the audit log costs a call. Appends per second and the
// p50/p99 latency of Append with 1, 2, 4 and 8 threads appending at once
// (group commit: one fsync per batch), on the disk of --dir, with records
// the size of a SearchFacesByImage that returned 10 matches; then the time
// Verify takes over everything written. The fsync latency of the same disk
// is measured first, as the yardstick: one thread cannot beat one fsync per
// Append.
//
// With --store URI, the log in that PostgreSQL database instead (the one
// chain of a cluster), appended to by --nodes logs at once, each with its own
// connections as a node would hold them, the threads dealt out among them
// (the fsync yardstick is then --dir's disk, which is PostgreSQL's only when
// its data directory is there).
//
// Usage: audit_bench [--dir D (default /tmp)] [--seconds S per run (default 3)]
//                    [--threads 1,2,4,8] [--store URI [--nodes N (default 1)]]
#include <fcntl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "bench_support.h"

namespace candor::bench {
namespace {

struct Args {
  std::string dir = "/tmp";
  double seconds = 3;
  std::vector<int> threads = {1, 2, 4, 8};
  std::string store;  // postgresql://...: the log there
  int nodes = 1;      // logs appending at once (--store only)
};

std::string FileSystemOf(const std::string& dir) {
  struct statfs fs;
  if (::statfs(dir.c_str(), &fs) != 0) return "unknown";
  switch (static_cast<unsigned long>(fs.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs (no real fsync: numbers mean little)";
    case 0x794C7630:
      return "overlayfs";
    default:
      return "type 0x" + [&] {
        char hex[32];
        std::snprintf(hex, sizeof(hex), "%lx", static_cast<unsigned long>(fs.f_type));
        return std::string(hex);
      }();
  }
}

std::string RandomHex(std::mt19937_64& rng, int chars) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < chars; ++i) s += kDigits[rng() % 16];
  return s;
}

std::string FakeUuid(std::mt19937_64& rng) {
  return RandomHex(rng, 8) + "-" + RandomHex(rng, 4) + "-" + RandomHex(rng, 4) + "-" +
         RandomHex(rng, 4) + "-" + RandomHex(rng, 12);
}

// What the server records for a SearchFacesByImage with 10 matches.
audit::AuditEvent SearchEvent(std::mt19937_64& rng, int thread) {
  audit::AuditEvent e;
  e.principal = "analyst-" + std::to_string(thread);
  e.source = "10.20.30." + std::to_string(40 + thread) + ":53122";
  e.request_id = FakeUuid(rng);
  e.operation = "SearchFacesByImage";
  e.collection_id = "border-crossings-2026";
  e.purpose = "identification of persons sought under warrant at border crossings";
  e.reason = "case 2026-11-0042";
  e.threshold_requested = 80.0;
  e.threshold_applied = 95.0;
  e.max_faces = 10;
  e.faces_searched = 250000;
  nlohmann::json matches = nlohmann::json::array();
  for (int i = 0; i < 10; ++i) {
    matches.push_back({{"FaceId", FakeUuid(rng)}, {"Similarity", 99.9 - i * 0.37}});
  }
  e.results = {{"FaceMatches", matches},
               {"SearchedFaceBoundingBox",
                {{"Left", 0.31}, {"Top", 0.22}, {"Width", 0.18}, {"Height", 0.24}}},
               {"SearchedFaceConfidence", 99.98}};
  e.outcome = "ok";
  return e;
}

double Percentile(std::vector<double>& values, double p) {
  if (values.empty()) return 0;
  const size_t k = std::min(values.size() - 1, static_cast<size_t>(p * values.size()));
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(k), values.end());
  return values[k];
}

// p50 and p99 of write(4 KiB) + fdatasync on `dir`, ms.
std::pair<double, double> FsyncLatency(const std::string& dir) {
  const std::string path = dir + "/fsync-probe";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return {0, 0};
  std::vector<double> ms;
  const std::string block(4096, 'x');
  for (int i = 0; i < 200; ++i) {
    const auto start = Clock::now();
    if (::pwrite(fd, block.data(), block.size(), static_cast<off_t>(i) * 4096) < 0) break;
    if (::fdatasync(fd) != 0) break;
    ms.push_back(Seconds(start, Clock::now()) * 1e3);
  }
  ::close(fd);
  ::unlink(path.c_str());
  const double p50 = Percentile(ms, 0.5);
  return {p50, Percentile(ms, 0.99)};
}

int Run(const Args& args) {
  const std::string pattern = args.dir + "/audit-bench-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (::mkdtemp(buffer.data()) == nullptr) {
    std::fprintf(stderr, "audit_bench: cannot create a directory in %s\n", args.dir.c_str());
    return 1;
  }
  const std::string root = buffer.data();

  std::mt19937_64 rng(42);
  audit::AuditEvent sample = SearchEvent(rng, 0);
  sample.prev_hash = std::string(audit::kGenesisHash);
  const auto [fsync_p50, fsync_p99] = FsyncLatency(root);
  if (args.store.empty()) {
    std::printf("audit_bench: Append with group commit (WAL, synchronous=FULL)\n");
  } else {
    std::printf("audit_bench: Append with group commit to PostgreSQL (--store), %d node%s appending"
                " to one chain\n",
                args.nodes, args.nodes == 1 ? "" : "s");
  }
  std::printf("machine: %s\n", MachineDescription().c_str());
  std::printf("build: %s\n", BuildDescription().c_str());
  std::printf("load average (1 min) at start: %s\n", LoadAverage().c_str());
  std::printf("disk: %s (%s); write 4 KiB + fdatasync p50 %.2f ms, p99 %.2f ms\n", root.c_str(),
              FileSystemOf(root).c_str(), fsync_p50, fsync_p99);
  std::printf("record: a search with 10 matches, %zu bytes of canonical JSON\n",
              audit::CanonicalJson(sample).size());
  std::printf("%8s %10s %12s %10s %10s %10s\n", "threads", "appends", "appends/s", "p50 ms",
              "p99 ms", "speed-up");
  double first_rate = 0;

  int status = 0;
  for (const int threads : args.threads) {
    const std::string dir = root + "/t" + std::to_string(threads);
    std::vector<std::unique_ptr<audit::AuditLog>> logs;  // one per node
    for (int n = 0; n < args.nodes; ++n) {
      audit::AuditOptions options;
      options.path = dir + "/audit.db";
      options.store_uri = args.store;
      options.key_path = dir + "/node-" + std::to_string(n) + ".key";
      StatusOr<std::unique_ptr<audit::AuditLog>> opened = audit::AuditLog::Open(options);
      if (!opened.ok()) {
        std::fprintf(stderr, "audit_bench: %s\n", opened.status().ToString().c_str());
        return 1;
      }
      logs.push_back(std::move(*opened));
      for (int i = 0; i < 20; ++i) {  // warm-up: file created, pages cached, connected
        audit::AuditEvent e = SearchEvent(rng, 0);
        if (!logs.back()->Append(e).ok()) return 1;
      }
    }
    audit::AuditLog& log = *logs[0];
    std::vector<std::vector<double>> latencies(threads);
    std::vector<std::vector<audit::AuditEvent>> events(threads);
    for (int t = 0; t < threads; ++t) {
      std::mt19937_64 thread_rng(1000 + t);
      for (int i = 0; i < 256; ++i) events[t].push_back(SearchEvent(thread_rng, t));
    }
    std::atomic<bool> stop{false};
    std::atomic<int> failures{0};
    std::vector<std::thread> workers;
    const auto start = Clock::now();
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (size_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
          audit::AuditEvent e = events[t][i % events[t].size()];
          const auto begin = Clock::now();
          if (!logs[t % logs.size()]->Append(e).ok()) failures.fetch_add(1);
          latencies[t].push_back(Seconds(begin, Clock::now()) * 1e3);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(args.seconds));
    stop = true;
    for (std::thread& w : workers) w.join();
    const double elapsed = Seconds(start, Clock::now());
    std::vector<double> all;
    for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
    const double rate = all.size() / elapsed;
    if (first_rate == 0) first_rate = rate;
    const double p50 = Percentile(all, 0.5);
    const double p99 = Percentile(all, 0.99);
    std::printf("%8d %10zu %12.0f %10.2f %10.2f %9.2fx\n", threads, all.size(), rate, p50, p99,
                rate / first_rate);
    if (failures > 0) {
      std::fprintf(stderr, "audit_bench: %d appends failed\n", failures.load());
      status = 1;
    }
    const auto verify_start = Clock::now();
    StatusOr<audit::VerifyReport> report = log.Verify();
    const double verify_seconds = Seconds(verify_start, Clock::now());
    if (!report.ok() || !report->ok) {
      std::fprintf(stderr, "audit_bench: the log does not verify\n");
      status = 1;
    } else if (threads == args.threads.back()) {
      std::printf("Verify: %lld records in %.2f s (%.0f records/s)\n",
                  static_cast<long long>(report->records), verify_seconds,
                  report->records / verify_seconds);
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return status;
}

}  // namespace
}  // namespace candor::bench

int main(int argc, char** argv) {
  candor::bench::Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--dir" && has_value) {
      args.dir = argv[++i];
    } else if (arg == "--seconds" && has_value) {
      args.seconds = std::atof(argv[++i]);
    } else if (arg == "--threads" && has_value) {
      args.threads.clear();
      for (const std::string& t : candor::bench::Split(argv[++i])) {
        args.threads.push_back(std::atoi(t.c_str()));
      }
    } else if (arg == "--store" && has_value) {
      args.store = argv[++i];
    } else if (arg == "--nodes" && has_value) {
      args.nodes = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr,
                   "usage: audit_bench [--dir D] [--seconds S] [--threads 1,2,4,8]"
                   " [--store URI [--nodes N]]\n");
      return 2;
    }
  }
  if (args.threads.empty() || args.seconds <= 0 ||
      std::any_of(args.threads.begin(), args.threads.end(), [](int t) { return t < 1; })) {
    std::fprintf(stderr, "audit_bench: --seconds and every thread count must be positive\n");
    return 2;
  }
  if (args.nodes < 1 || (args.nodes > 1 && args.store.empty())) {
    std::fprintf(stderr, "audit_bench: --nodes must be positive, and above 1 only with --store\n");
    return 2;
  }
  return candor::bench::Run(args);
}
