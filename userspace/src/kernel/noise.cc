#include "kernel/noise.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <sstream>
#include <thread>

#include "util/text_file.h"

namespace ptilab {

namespace {

std::string percent(double v) { return fmt::format("{:.1f}%", v); }

std::string fixed2(double v) { return fmt::format("{:.2f}", v); }

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\n");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

std::string cpu_list(const std::vector<int>& cpus) {
  std::string out;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(cpus[i]);
    if (j > i) {
      out += '-';
      out += std::to_string(cpus[j]);
    }
    i = j + 1;
  }
  return out;
}

void check_governors(const std::filesystem::path& sysfs_cpu, const std::vector<int>& cpus, NoiseReport& report) {
  std::map<std::string, std::vector<int>> by_governor;  // not "performance" only
  bool any = false;
  for (int cpu : cpus) {
    const auto text =
        try_read_text_file(sysfs_cpu / ("cpu" + std::to_string(cpu)) / "cpufreq" / "scaling_governor");
    if (!text) continue;
    any = true;
    const std::string governor = trim(*text);
    if (governor != "performance") by_governor[governor.empty() ? "(empty)" : governor].push_back(cpu);
  }
  if (!any) {
    report.notes.push_back("no cpufreq: governor unknown (CPUs " + cpu_list(cpus) +
                           " have no cpufreq/scaling_governor; usual in VMs)");
    return;
  }
  for (const auto& [governor, list] : by_governor)
    report.warnings.push_back("CPU frequency governor is '" + governor + "' on CPU " + cpu_list(list) +
                              ", not 'performance': the clock may change under the benchmarks (as root: echo "
                              "performance | tee /sys/devices/system/cpu/cpu*/cpufreq/scaling_governor)");
}

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("cpu ")) continue;
    std::istringstream fields(line.substr(4));
    // user nice system idle iowait irq softirq steal (guest and guest_nice
    // are already counted in user and nice).
    std::uint64_t v[8];
    int n = 0;
    while (n < 8 && fields >> v[n]) ++n;
    if (n < 4) return std::nullopt;  // iowait and later fields came with newer kernels
    for (int i = n; i < 8; ++i) v[i] = 0;
    CpuTimes t;
    for (auto x : v) t.total += x;
    t.idle = v[3] + v[4];
    return t;
  }
  return std::nullopt;
}

std::optional<double> parse_loadavg(std::string_view text) {
  const auto end = text.find_first_of(" \n");
  const auto v = parse_number(text.substr(0, end));
  if (!v || *v < 0) return std::nullopt;
  return v;
}

void check_busy(const std::optional<CpuTimes>& before, const std::optional<CpuTimes>& after,
                const std::optional<double>& loadavg, int online_cpus, NoiseReport& report) {
  if (before && after && after->total > before->total && after->idle >= before->idle) {
    const double total = static_cast<double>(after->total - before->total);
    const double busy = total - static_cast<double>(after->idle - before->idle);
    const double fraction = busy < 0 ? 0 : busy / total;
    if (fraction > kBusyFraction)
      report.warnings.push_back("machine busy: " + percent(100 * fraction) + " of all CPUs' time was not idle just "
                                "before the run (over " + percent(100 * kBusyFraction) +
                                "): other work skews the timings (see top)");
  } else {
    report.notes.push_back("cannot tell whether the machine is busy: no usable /proc/stat samples");
  }
  if (loadavg) {
    const double limit = kBusyLoadPerCpu * online_cpus;
    if (*loadavg > limit)
      report.warnings.push_back("machine busy: 1-minute load average " + fixed2(*loadavg) + " on " +
                                std::to_string(online_cpus) + " CPUs (over " + fixed2(limit) +
                                "; a build that just finished counts too)");
  } else {
    report.notes.push_back("no load average (/proc/loadavg)");
  }
}

void sample_busy(const std::filesystem::path& proc_root, double window_seconds, int online_cpus, NoiseReport& report) {
  const auto read_stat = [&] {
    const auto text = try_read_text_file(proc_root / "stat");
    return text ? parse_proc_stat(*text) : std::nullopt;
  };
  const auto before = read_stat();
  std::this_thread::sleep_for(std::chrono::duration<double>(window_seconds));
  const auto after = read_stat();
  const auto load = try_read_text_file(proc_root / "loadavg");
  check_busy(before, after, load ? parse_loadavg(*load) : std::nullopt, online_cpus, report);
}

std::optional<double> cv_percent(const BenchResult& r) {
  if (r.repetitions < 2 || !(r.mean_ns > 0)) return std::nullopt;
  return 100 * r.stddev_ns / r.mean_ns;
}

std::optional<ResultRow> make_cv_row(const RunInfo& run, const BenchResult& r) {
  const auto cv = cv_percent(r);
  if (!cv) return std::nullopt;
  ResultRow row = make_base_row(run);
  row.benchmark = r.name;
  row.metric = kMetricCv;
  row.value = format_number(*cv);
  row.unit = std::string(1, '%');  // GCC 12's -Wrestrict misfires on = "%"
  row.repetitions = std::to_string(r.repetitions);
  return row;
}

void check_cv(const std::vector<BenchResult>& results, NoiseReport& report) {
  for (const auto& r : results) {
    const auto cv = cv_percent(r);
    if (cv && *cv > kMaxCvPercent)
      report.warnings.push_back(r.name + ": CV " + percent(*cv) + " over " + std::to_string(r.repetitions) +
                                " repetitions (over " + percent(kMaxCvPercent) + "): its mean is not reliable");
  }
}

std::string format_warnings(const std::vector<std::string>& warnings) {
  std::string out;
  for (const auto& w : warnings) out += w + "\n";
  return out;
}

}  // namespace ptilab
