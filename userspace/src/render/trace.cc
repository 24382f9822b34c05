#include "render/trace.h"

#include <fmt/format.h>

#include <optional>

namespace ptilab {

namespace {

constexpr int kWidth = 9;

std::string fixed(double v, int decimals) { return fmt::format("{:.{}f}", v, decimals); }

std::string right(std::string_view s, std::size_t w) {
  return s.size() >= w ? std::string(s) : std::string(w - s.size(), ' ') + std::string(s);
}

std::string left(std::string_view s, std::size_t w) {
  return s.size() >= w ? std::string(s) : std::string(s) + std::string(w - s.size(), ' ');
}

}  // namespace

std::string format_estimate(const Estimate& e, const IsolationCost& cost, std::string_view scope) {
  std::string out = "estimate: isolation costs about " + fixed(e.percent_of_cpus, 2) + "% of CPU for " +
                    std::string(scope) + " (" + fixed(e.percent_of_one_cpu, 2) + "% of one CPU, " +
                    std::to_string(e.nr_cpus) + " CPUs)\n";
  out += "  = (" + fixed(e.entries_per_s, 0) + " entries/s x " + fixed(cost.ns_per_entry, 1) + " ns + " +
         fixed(e.mm_switches_per_s, 0) + " mm switches/s x " + fixed(cost.ns_per_mm_switch, 1) + " ns) / (" +
         std::to_string(e.nr_cpus) + " x 1e9 ns/s)\n";
  if (e.percent_of_cpus > 100)
    out += "  (over 100%: these costs cannot belong to this machine, see the assumptions)\n";
  out += "  cost from " + cost.source + ":\n";
  for (const auto& i : cost.inputs) out += "    " + i + "\n";
  out += "  assumptions:\n";
  out += "    the traced entry and mm-switch rates are the workload's with isolation on or off alike\n";
  out += "    interrupts that hit a user task all came from user mode (an upper bound)\n";
  for (const auto& a : cost.assumptions) out += "    " + a + "\n";
  return out;
}

std::string table_legend(const ArchProfile& profile, const CounterSet& available) {
  std::string s =
      "# rates per second; entries* and cr3* are derived: " + entries_formula() + "; " + cr3_formula(true, profile) +
      " (isolation off: mm switches only)\n";
  s += "# irq: device interrupt handlers; pf_user/pf_kern: page faults by mode; mm_sw: context switches that change mm";
  if (available[PTL_TLB_FLUSHES])
    s += "; tlb_*: tlb:tlb_flush by reason (sw task switch, rmt remote shootdown, loc local shootdown, lmm local mm "
         "shootdown, ipi shootdown IPI sent), tlb_pg pages flushed";
  s += "\n";
  std::string left_out;
  for (const auto& sh : counter_infos())
    if (sh.in_table && !available[sh.index]) left_out += " " + std::string(sh.column);
  if (!left_out.empty()) s += "# not countable on this kernel, left out:" + left_out + "\n";
  if (const auto m = missing_terms(entry_terms(), available); !m.empty())
    s += "# entries* (and cr3* with isolation on) n/a: " + term_list(m) + " not countable on this kernel\n";
  else if (const auto mm = missing_terms(cr3_terms(false), available); !mm.empty())
    s += "# cr3* n/a: " + term_list(mm) + " not countable on this kernel\n";
  return s;
}

std::string table_header(const CounterSet& available) {
  std::string s = right("# time", 10) + " " + left("cpu", 8);
  for (const auto& sh : counter_infos())
    if (sh.in_table && available[sh.index]) s += " " + right(sh.column, kWidth);
  s += " " + right("entries*", kWidth) + " " + right("cr3*", kWidth);
  return s + "\n";
}

std::string table_row(double end, std::string_view what, const CounterArray& c, double seconds,
                      const CounterSet& available, bool isolation_on) {
  std::string s = right(fixed(end, 3), 10) + " " + left(what, 8);
  for (const auto& sh : counter_infos())
    if (sh.in_table && available[sh.index]) s += " " + right(fixed(rate(c[sh.index], seconds), 0), kWidth);
  const Derived d = derive(c, isolation_on, available);
  s += " " + right(d.entries_counted ? fixed(seconds > 0 ? d.kernel_entries / seconds : 0, 0) : "n/a", kWidth);
  s += " " + right(d.cr3_counted ? fixed(seconds > 0 ? d.cr3_writes / seconds : 0, 0) : "n/a", kWidth);
  return s + "\n";
}

std::string pid_row(double end, const PidCounts& p, double seconds, const CounterSet& available) {
  // The per-process counters, under the system-wide columns they match.
  std::string s = right(fixed(end, 3), 10) + " " + left(std::to_string(p.pid), 8);
  for (const auto& sh : counter_infos()) {
    if (!sh.in_table || !available[sh.index]) continue;
    std::optional<int> pi;
    switch (sh.index) {
      case PTL_SYSCALLS: pi = PTL_PID_SYSCALLS; break;
      case PTL_PF_USER: pi = PTL_PID_PF_USER; break;
      case PTL_CTX_SWITCHES: pi = PTL_PID_CTX_SWITCHES; break;
      case PTL_MM_SWITCHES: pi = PTL_PID_MM_SWITCHES; break;
      default: break;
    }
    s += " " + right(pi ? fixed(rate(p.c[*pi], seconds), 0) : "-", kWidth);
  }
  const bool entries = missing_terms(entry_terms(), available).empty();
  s += " " + right(entries ? fixed(rate(entries_of(p), seconds), 0) : "n/a", kWidth) + " " + right("-", kWidth);
  return s + "  " + (p.comm.empty() ? "?" : p.comm) + "\n";
}

std::string format_totals(const CounterArray& total, double seconds, const CounterSet& available,
                          const CounterReasons& why_not, bool isolation_on, bool isolation_assumed,
                          const ArchProfile& profile, const std::vector<PidCounts>& top, std::string_view scope) {
  std::string out = "\nptilab trace: " + fixed(seconds, 2) + " s, " + std::string(scope) + "\n\n";
  const std::string* said = nullptr;  // a run of counters lost for one reason gives it once
  for (const auto& sh : counter_infos()) {
    if (!available[sh.index]) {
      const std::string& why = why_not[sh.index];
      out += right("-", 14) + "  " + left(sh.label, 48) + "  not countable on this kernel" +
             (why.empty() || (said && *said == why) ? std::string() : ": " + why) + "\n";
      said = &why;
      continue;
    }
    said = nullptr;
    out += right(std::to_string(total[sh.index]), 14) + "  " + left(sh.label, 48) +
           right(fixed(rate(total[sh.index], seconds), 1), 14) + " /s\n";
  }
  const Derived d = derive(total, isolation_on, available);
  out += "\nderived (" + std::string(profile.pt_register) + " switches on kernel entry and exit are not traced" +
         (available[PTL_TLB_FLUSHES] ? ", tlb:tlb_flush does not see them" : "") + "):\n";
  const auto derived_line = [&](bool counted, double v, const std::string& label, const std::vector<int>& terms) {
    if (!counted)
      return right("-", 14) + "  " + left(label, 48) + "  not derived: " + term_list(missing_terms(terms, available)) +
             " not countable on this kernel\n";
    return right(fixed(v, 0), 14) + "  " + left(label, 48) + right(fixed(seconds > 0 ? v / seconds : 0, 1), 14) +
           " /s\n";
  };
  out += derived_line(d.entries_counted, d.kernel_entries, "kernel entries", entry_terms());
  out += derived_line(d.cr3_counted, d.cr3_writes, std::string(profile.pt_register) + " writes",
                      cr3_terms(isolation_on));
  out += "  " + entries_formula() + "\n  " + cr3_formula(isolation_on, profile) + "\n";
  if (isolation_assumed) out += "  (isolation state unknown: assumed on)\n";
  if (!top.empty()) {
    out += "\ntop processes by kernel entries:\n";
    out += right("pid", 8) + "  " + left("comm", 16);
    for (const auto& pc : pid_counter_infos()) {
      out += ' ';
      out += right(std::string(pc.column) + "/s", 10);
    }
    out += "\n";
    for (const auto& p : top) {
      out += right(std::to_string(p.pid), 8) + "  " + left(p.comm.empty() ? "?" : p.comm, 16);
      for (const auto& pc : pid_counter_infos()) {
        out += ' ';
        out += right(available[pid_source(pc.index)] ? fixed(rate(p.c[pc.index], seconds), 1) : "-", 10);
      }
      out += "\n";
    }
  }
  return out;
}

}  // namespace ptilab
