#include "kernel/trace_bpf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <tuple>

#include "trace.skel.h"  // generated at build time: bpftool gen skeleton
#include "util/error.h"
#include "util/text_file.h"

namespace ptilab {

namespace {

bool g_verbose = false;

// libbpf speaks only under -v: without it, our one line per failed step.
int print_libbpf(enum libbpf_print_level, const char* fmt, va_list args) {
  if (!g_verbose) return 0;
  return std::vfprintf(stderr, fmt, args);
}

// A software perf event a SEC("perf_event") program runs on, one per CPU.
struct PerfEvent {
  std::string_view name;  // as perf(1) spells it: "page-faults:u"
  std::uint64_t config;   // PERF_COUNT_SW_*
  bool exclude_user, exclude_kernel;
};

// What each program of bpf/trace*.bpf.c counts (by function name: the
// architectures' objects hold different sets).
struct Program {
  std::string_view name;
  std::string_view source;  // what it attaches to, for people: "tlb:tlb_flush"
  std::vector<int> feeds;
  std::optional<PerfEvent> perf;  // SEC("perf_event"): the loader opens it
  // Sees every interrupt: the timer and IPIs, found by these handler names
  // in /sys/kernel/irq, are the timer and IPI columns, not device irqs.
  std::string_view timer_action, ipi_action;
};

const std::vector<Program>& programs() {
  static const std::vector<Program> v = {
      {"on_sys_enter", "raw_syscalls:sys_enter", {PTL_SYSCALLS}, {}, {}, {}},
      {"on_sched_switch", "sched:sched_switch", {PTL_CTX_SWITCHES, PTL_MM_SWITCHES}, {}, {}, {}},
      // x86
      {"on_irq_handler_entry", "irq:irq_handler_entry", {PTL_IRQS, PTL_INTR_IN_TASK}, {}, {}, {}},
      {"on_local_timer_entry", "irq_vectors:local_timer_entry", {PTL_TIMER_IRQS, PTL_INTR_IN_TASK}, {}, {}, {}},
      {"on_reschedule_entry", "irq_vectors:reschedule_entry", {PTL_IPIS, PTL_INTR_IN_TASK}, {}, {}, {}},
      {"on_call_function_entry", "irq_vectors:call_function_entry", {PTL_IPIS, PTL_INTR_IN_TASK}, {}, {}, {}},
      {"on_call_function_single_entry",
       "irq_vectors:call_function_single_entry",
       {PTL_IPIS, PTL_INTR_IN_TASK},
       {},
       {},
       {}},
      {"on_page_fault_user", "exceptions:page_fault_user", {PTL_PF_USER}, {}, {}, {}},
      {"on_page_fault_kernel", "exceptions:page_fault_kernel", {PTL_PF_KERNEL}, {}, {}, {}},
      {"on_tlb_flush",
       "tlb:tlb_flush",
       {PTL_TLB_FLUSHES, PTL_TLB_REASON0, PTL_TLB_REASON1, PTL_TLB_REASON2, PTL_TLB_REASON3, PTL_TLB_REASON4,
        PTL_TLB_REASON5, PTL_TLB_REASON_OTHER, PTL_TLB_PAGES, PTL_TLB_FULL},
       {},
       {},
       {}},
      // arm64
      {"on_irq_handler_entry_all", "irq:irq_handler_entry", {PTL_INTR_IN_TASK}, {}, "arch_timer", "IPI"},
      {"on_ipi_entry", "ipi:ipi_entry", {PTL_IPIS}, {}, {}, {}},
      {"on_page_fault_user_sw",
       "perf software event page-faults:u",
       {PTL_PF_USER},
       PerfEvent{"page-faults:u", PERF_COUNT_SW_PAGE_FAULTS, false, true},
       {},
       {}},
      {"on_page_fault_kernel_sw",
       "perf software event page-faults:k",
       {PTL_PF_KERNEL},
       PerfEvent{"page-faults:k", PERF_COUNT_SW_PAGE_FAULTS, true, false},
       {},
       {}},
  };
  return v;
}

const Program* find_program(std::string_view name) {
  for (const auto& p : programs())
    if (p.name == name) return &p;
  return nullptr;
}

// "tp_btf/tlb_flush" -> "tlb_flush"
std::string tracepoint_of(const bpf_program* prog) {
  const std::string sec = bpf_program__section_name(prog);
  const auto slash = sec.find('/');
  return slash == std::string::npos ? sec : sec.substr(slash + 1);
}

std::string why(int err, std::string_view what) {
  // libbpf_strerror(): errno's words, and libbpf's own errors
  // (LIBBPF_ERRNO__*, 4000 and up), which strerror() does not know.
  char buf[128];
  libbpf_strerror(err, buf, sizeof buf);
  std::string s = buf;
  if (err == EPERM)
    s += " (run as root: " + std::string(what) + " needs CAP_BPF and CAP_PERFMON)";
  else if (err == EACCES || err == EINVAL)
    s += " (the kernel refused it; ptilab trace -v shows libbpf's and the verifier's log)";
  return s;
}

std::string perf_why(int err) {
  std::string s = std::strerror(err);
  if (err == EACCES || err == EPERM) {
    std::string paranoid = try_read_text_file("/proc/sys/kernel/perf_event_paranoid").value_or("?");
    while (!paranoid.empty() && paranoid.back() == '\n') paranoid.pop_back();
    s += " (kernel.perf_event_paranoid is " + paranoid + ": a CPU-wide event needs CAP_PERFMON)";
  } else if (err == ENOENT || err == EOPNOTSUPP) {
    s += " (this kernel has no such software event)";
  }
  return s;
}

int open_perf_event(const PerfEvent& e, int cpu) {
  perf_event_attr attr{};
  attr.type = PERF_TYPE_SOFTWARE;
  attr.size = sizeof attr;
  attr.config = e.config;
  attr.sample_period = 1;  // the program runs on every event
  attr.disabled = 1;       // libbpf enables it once the program is attached
  attr.exclude_user = e.exclude_user;
  attr.exclude_kernel = e.exclude_kernel;
  return static_cast<int>(::syscall(__NR_perf_event_open, &attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

void close_all(std::vector<int>& fds) {
  for (const int fd : fds) ::close(fd);
  fds.clear();
}

}  // namespace

IrqNumbers find_irq_numbers(const std::filesystem::path& dir, std::string_view timer_action,
                            std::string_view ipi_action) {
  IrqNumbers out;
  std::string timer_high, ipi_high;  // found, but not below 64
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) {
    out.timer_why = out.ipi_why = "cannot read " + dir.string() + ": " + ec.message();
    return out;
  }
  for (const auto& entry : it) {
    const std::string n = entry.path().filename().string();
    unsigned irq = 0;
    const auto [ptr, err] = std::from_chars(n.data(), n.data() + n.size(), irq);
    if (err != std::errc() || ptr != n.data() + n.size()) continue;
    const auto text = try_read_text_file(entry.path() / "actions");
    if (!text) continue;
    // "name" or "name1,name2" (a shared irq), newline-terminated.
    std::string_view rest = *text;
    while (!rest.empty()) {
      const auto cut = std::min(rest.find_first_of(",\n"), rest.size());
      const std::string_view action = rest.substr(0, cut);
      rest.remove_prefix(std::min(cut + 1, rest.size()));
      for (auto [want, mask, high] : {std::tuple{timer_action, &out.timer, &timer_high},
                                      std::tuple{ipi_action, &out.ipi, &ipi_high}}) {
        if (want.empty() || action != want) continue;
        if (irq < 64)
          *mask |= 1ULL << irq;
        else
          *high = n;
      }
    }
  }
  const auto say = [&](std::string_view action, std::uint64_t& mask, const std::string& high, std::string& why) {
    if (!high.empty()) {
      mask = 0;  // some of them would count as device interrupts
      why = "the '" + std::string(action) + "' interrupt is irq " + high +
            ", beyond what the tracer tells apart (0-63)";
    } else if (!mask) {
      why = "no irq with the handler '" + std::string(action) + "' in " + dir.string();
    }
  };
  if (!timer_action.empty()) say(timer_action, out.timer, timer_high, out.timer_why);
  if (!ipi_action.empty()) say(ipi_action, out.ipi, ipi_high, out.ipi_why);
  return out;
}

Coverage coverage_of(const std::vector<SourceOutcome>& outcomes, const IrqNumbers& irqs) {
  Coverage c;
  CounterSet fed{}, lost{};
  const auto lose = [&](int counter, const std::string& why) {
    lost[counter] = true;
    if (c.why_not[counter].empty()) c.why_not[counter] = why;
  };
  std::vector<std::string_view> present;
  for (const auto& o : outcomes) {
    const Program* p = find_program(o.program);
    if (!p) continue;  // a program the table does not know counts nothing shown
    present.push_back(p->name);
    std::vector<int> feeds = p->feeds;
    if (!o.attached) {
      if (!p->timer_action.empty()) feeds.insert(feeds.end(), {PTL_TIMER_IRQS, PTL_IRQS});
      for (const int f : feeds) lose(f, o.why);
      continue;
    }
    for (const int f : feeds) fed[f] = true;
    if (p->timer_action.empty()) continue;
    // It sees the timer and IPIs too: counted apart only if their irqs are known.
    if (irqs.timer)
      fed[PTL_TIMER_IRQS] = true;
    else
      lose(PTL_TIMER_IRQS, "cannot tell the timer from other interrupts: " + irqs.timer_why);
    if (irqs.timer && irqs.ipi)
      fed[PTL_IRQS] = true;
    else
      lose(PTL_IRQS, std::string(p->source) + " sees the timer and IPIs too, and " +
                         (irqs.timer ? irqs.ipi_why : irqs.timer_why));
  }
  for (int i = 0; i < PTL_NR_COUNTERS; ++i) {
    c.available[i] = fed[i] && !lost[i];
    if (c.available[i] || !c.why_not[i].empty()) continue;
    // No program of this object feeds it: name what counts it elsewhere.
    std::string elsewhere;
    for (const auto& p : programs())
      if (std::find(present.begin(), present.end(), p.name) == present.end() &&
          std::find(p.feeds.begin(), p.feeds.end(), i) != p.feeds.end() &&
          elsewhere.find(p.source) == std::string::npos)
        elsewhere += (elsewhere.empty() ? "" : ", ") + std::string(p.source);
    c.why_not[i] = "no tracepoint or event for it on this architecture" +
                   (elsewhere.empty() ? std::string() : "; elsewhere: " + elsewhere);
  }
  c.available[PTL_PID_DROPPED] = true;
  c.why_not[PTL_PID_DROPPED].clear();
  return c;
}

struct TraceBpf::Skel {
  trace_bpf* obj = nullptr;
  btf* kernel_btf = nullptr;
  std::vector<bpf_link*> links;
  ~Skel() {
    for (auto* l : links) bpf_link__destroy(l);
    trace_bpf__destroy(obj);
    btf__free(kernel_btf);
  }
};

std::filesystem::path kernel_btf(const std::optional<std::filesystem::path>& given) {
  if (given) return *given;
  if (const char* env = std::getenv("PTILAB_BTF"); env && *env) return env;
  return std::filesystem::path(kKernelBtfPath);
}

TraceBpf::TraceBpf(const TraceBpfOptions& o) : skel_(std::make_unique<Skel>()) {
  g_verbose = o.verbose;
  libbpf_set_print(print_libbpf);

  std::error_code ec;
  if (!std::filesystem::exists(o.btf, ec))
    throw Error("trace: no kernel BTF at " + o.btf.string() +
                " (needs a kernel built with CONFIG_DEBUG_INFO_BTF=y, as Debian's are; or --btf FILE)");
  skel_->kernel_btf = btf__parse(o.btf.c_str(), nullptr);
  if (!skel_->kernel_btf)
    throw Error("trace: cannot read BTF from " + o.btf.string() + ": " + why(errno, "reading it") +
                " (--btf needs a kernel BTF file, e.g. /sys/kernel/btf/vmlinux)");

  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  const std::string btf_path = o.btf.string();
  // CO-RE relocations against this BTF; the default is what libbpf finds itself.
  if (o.btf != std::filesystem::path(kKernelBtfPath)) open_opts.btf_custom_path = btf_path.c_str();
  skel_->obj = trace_bpf__open_opts(&open_opts);
  if (!skel_->obj) throw Error("trace: cannot open the BPF object: " + why(errno, "opening it"));
  skel_->obj->rodata->target_tgid = o.target_tgid;

  nr_cpus_ = libbpf_num_possible_cpus();
  if (nr_cpus_ <= 0) throw Error("trace: cannot count the possible CPUs: " + why(-nr_cpus_, "it"));

  // A tracepoint this kernel lacks, or a perf event it will not open, is
  // left out, not fatal: its counters are reported as not countable.
  // Perf events are opened before the load, so that a refused one can
  // still be left out of it.
  std::vector<SourceOutcome> outcomes;
  std::vector<std::pair<bpf_program*, std::vector<int>>> perf_fds;
  const Program* every_irq = nullptr;
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj->obj) {
    const Program* p = find_program(bpf_program__name(prog));
    SourceOutcome out{bpf_program__name(prog), true, {}};
    if (bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT) {
      if (!p || !p->perf) throw Error(std::string("trace: no perf event known for ") + bpf_program__name(prog));
      std::vector<int> fds;
      for (int cpu = 0; cpu < nr_cpus_; ++cpu) {
        const int fd = open_perf_event(*p->perf, cpu);
        if (fd >= 0) {
          fds.push_back(fd);
        } else if (errno != ENODEV) {  // ENODEV: an offline CPU
          out = {out.program, false,
                 "perf_event_open " + std::string(p->perf->name) + " on CPU " + std::to_string(cpu) + ": " +
                     perf_why(errno)};
          break;
        }
      }
      if (out.attached && fds.empty()) out = {out.program, false, std::string(p->perf->name) + ": no CPU online"};
      if (out.attached) {
        perf_fds.emplace_back(prog, std::move(fds));
      } else {
        close_all(fds);
        bpf_program__set_autoload(prog, false);
        missing_.push_back(std::string(p->perf->name));
      }
    } else {
      const std::string tp = tracepoint_of(prog);
      if (btf__find_by_name_kind(skel_->kernel_btf, ("btf_trace_" + tp).c_str(), BTF_KIND_TYPEDEF) < 0) {
        bpf_program__set_autoload(prog, false);
        missing_.push_back(tp);
        out = {out.program, false, "tracepoint " + tp + " is not in this kernel"};
      } else if (p && !p->timer_action.empty()) {
        every_irq = p;
      }
    }
    outcomes.push_back(std::move(out));
  }
  const auto close_perf = [&] {
    for (auto& [_, fds] : perf_fds) close_all(fds);
  };

  IrqNumbers irqs;
  if (every_irq) {
    irqs = find_irq_numbers(o.irq_dir, every_irq->timer_action, every_irq->ipi_action);
    skel_->obj->rodata->timer_irq_mask = irqs.timer;
    skel_->obj->rodata->ipi_irq_mask = irqs.ipi;
  }
  if (const int err = trace_bpf__load(skel_->obj)) {
    close_perf();
    throw Error("trace: cannot load the BPF programs: " + why(-err, "loading BPF"));
  }

  bpf_object__for_each_program(prog, skel_->obj->obj) {
    if (!bpf_program__autoload(prog) || bpf_program__type(prog) == BPF_PROG_TYPE_PERF_EVENT) continue;
    const std::string tp = tracepoint_of(prog);
    bpf_link* link = bpf_program__attach(prog);
    if (!link) {
      const int err = errno;
      close_perf();
      throw Error("trace: cannot attach " + tp + ": " + why(err, "attaching"));
    }
    skel_->links.push_back(link);
    attached_.push_back(tp);
  }
  // Each perf event's link owns its fd from here on.
  for (auto& [perf_prog, fds] : perf_fds) {
    const Program* p = find_program(bpf_program__name(perf_prog));
    const std::size_t first = skel_->links.size();
    std::string failed;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      bpf_link* link = bpf_program__attach_perf_event(perf_prog, fds[i]);
      if (!link) {
        failed = "cannot attach to " + std::string(p->perf->name) + ": " + why(errno, "attaching");
        for (std::size_t j = i; j < fds.size(); ++j) ::close(fds[j]);
        break;
      }
      skel_->links.push_back(link);
    }
    fds.clear();
    if (failed.empty()) {
      attached_.push_back(std::string(p->perf->name));
      ++attached_perf_;
      continue;
    }
    // Half attached counts wrong: none of it.
    for (std::size_t j = first; j < skel_->links.size(); ++j) bpf_link__destroy(skel_->links[j]);
    skel_->links.resize(first);
    missing_.push_back(std::string(p->perf->name));
    for (auto& out : outcomes)
      if (out.program == p->name) out = {out.program, false, failed};
  }
  coverage_ = coverage_of(outcomes, irqs);
}

TraceBpf::~TraceBpf() = default;

std::vector<CounterArray> TraceBpf::read_cpus() const {
  const auto ncpu = static_cast<std::size_t>(nr_cpus_);
  std::vector<ptl_cpu_counts> values(ncpu);
  const std::uint32_t key = 0;
  if (bpf_map__lookup_elem(skel_->obj->maps.cpu_counts, &key, sizeof key, values.data(),
                           values.size() * sizeof(ptl_cpu_counts), 0) != 0)
    throw Error("trace: cannot read the per-CPU counters: " + why(errno, "reading maps"));
  std::vector<CounterArray> cpus(ncpu);
  for (std::size_t cpu = 0; cpu < ncpu; ++cpu)
    for (int i = 0; i < PTL_NR_COUNTERS; ++i) cpus[cpu][i] = values[cpu].c[i];
  return cpus;
}

TraceSnapshot TraceBpf::read() const {
  TraceSnapshot s;
  const auto ncpu = static_cast<std::size_t>(nr_cpus_);
  s.cpus = read_cpus();
  std::vector<ptl_pid_counts> values(ncpu);
  std::uint32_t key = 0, next = 0;
  const std::uint32_t* prev = nullptr;
  while (bpf_map__get_next_key(skel_->obj->maps.pid_counts, prev, &next, sizeof next) == 0) {
    key = next;
    prev = &key;
    if (bpf_map__lookup_elem(skel_->obj->maps.pid_counts, &key, sizeof key, values.data(),
                             values.size() * sizeof(ptl_pid_counts), 0) != 0)
      continue;  // deleted meanwhile
    PidCounts p;
    p.pid = key;
    for (const auto& v : values)
      for (int i = 0; i < PTL_PID_NR_COUNTERS; ++i) p.c[i] += v.c[i];
    char comm[PTL_COMM_LEN + 1] = {};
    if (bpf_map__lookup_elem(skel_->obj->maps.pid_comms, &key, sizeof key, comm, PTL_COMM_LEN, 0) == 0)
      p.comm = comm;
    s.pids.emplace(key, std::move(p));
  }
  return s;
}

void TraceBpf::forget(const std::vector<std::uint32_t>& pids) {
  for (const std::uint32_t pid : pids) {
    bpf_map__delete_elem(skel_->obj->maps.pid_counts, &pid, sizeof pid, 0);
    bpf_map__delete_elem(skel_->obj->maps.pid_comms, &pid, sizeof pid, 0);
  }
}

}  // namespace ptilab
