#include "trace_bpf.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <map>

#include "error.h"
#include "trace.skel.h"  // generated at build time: bpftool gen skeleton

namespace ptilab {

namespace {

bool g_verbose = false;

// libbpf speaks only under -v: without it, our one line per failed step.
int print_libbpf(enum libbpf_print_level, const char* fmt, va_list args) {
  if (!g_verbose) return 0;
  return std::vfprintf(stderr, fmt, args);
}

// What each tracepoint feeds; a counter is shown only if one of them attached.
const std::map<std::string, std::vector<int>, std::less<>>& tracepoint_counters() {
  static const std::map<std::string, std::vector<int>, std::less<>> m = {
      {"sys_enter", {PTL_SYSCALLS}},
      {"irq_handler_entry", {PTL_IRQS, PTL_INTR_IN_TASK}},
      {"local_timer_entry", {PTL_TIMER_IRQS, PTL_INTR_IN_TASK}},
      {"reschedule_entry", {PTL_IPIS, PTL_INTR_IN_TASK}},
      {"call_function_entry", {PTL_IPIS, PTL_INTR_IN_TASK}},
      {"call_function_single_entry", {PTL_IPIS, PTL_INTR_IN_TASK}},
      {"page_fault_user", {PTL_PF_USER}},
      {"page_fault_kernel", {PTL_PF_KERNEL}},
      {"sched_switch", {PTL_CTX_SWITCHES, PTL_MM_SWITCHES}},
      {"tlb_flush",
       {PTL_TLB_FLUSHES, PTL_TLB_REASON0, PTL_TLB_REASON1, PTL_TLB_REASON2, PTL_TLB_REASON3, PTL_TLB_REASON4,
        PTL_TLB_REASON5, PTL_TLB_REASON_OTHER, PTL_TLB_PAGES, PTL_TLB_FULL}},
  };
  return m;
}

// "tp_btf/tlb_flush" -> "tlb_flush"
std::string tracepoint_of(const bpf_program* prog) {
  const std::string sec = bpf_program__section_name(prog);
  const auto slash = sec.find('/');
  return slash == std::string::npos ? sec : sec.substr(slash + 1);
}

std::string why(int err, std::string_view what) {
  std::string s = std::strerror(err);
  if (err == EPERM)
    s += " (run as root: " + std::string(what) + " needs CAP_BPF and CAP_PERFMON)";
  else if (err == EACCES || err == EINVAL)
    s += " (the kernel refused it; ptilab trace -v shows libbpf's and the verifier's log)";
  return s;
}

}  // namespace

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

TraceBpf::TraceBpf(const TraceBpfOptions& o) : skel_(std::make_unique<Skel>()) {
  g_verbose = o.verbose;
  libbpf_set_print(print_libbpf);

  std::error_code ec;
  if (!std::filesystem::exists(o.btf, ec))
    throw Error("trace: no kernel BTF at " + o.btf.string() +
                " (needs a kernel built with CONFIG_DEBUG_INFO_BTF=y, as Debian's are; or --btf FILE)");
  skel_->kernel_btf = btf__parse(o.btf.c_str(), nullptr);
  if (!skel_->kernel_btf) throw Error("trace: cannot read BTF from " + o.btf.string() + ": " + why(errno, "reading it"));

  LIBBPF_OPTS(bpf_object_open_opts, open_opts);
  const std::string btf_path = o.btf.string();
  // CO-RE relocations against this BTF; the default is what libbpf finds itself.
  if (o.btf != std::filesystem::path(kKernelBtfPath)) open_opts.btf_custom_path = btf_path.c_str();
  skel_->obj = trace_bpf__open_opts(&open_opts);
  if (!skel_->obj) throw Error("trace: cannot open the BPF object: " + why(errno, "opening it"));
  skel_->obj->rodata->target_tgid = o.target_tgid;

  // A tracepoint this kernel lacks is left out, not fatal (tlb_flush is
  // x86 only; arm64's object has its own set).
  bpf_program* prog = nullptr;
  bpf_object__for_each_program(prog, skel_->obj->obj) {
    const std::string tp = tracepoint_of(prog);
    if (btf__find_by_name_kind(skel_->kernel_btf, ("btf_trace_" + tp).c_str(), BTF_KIND_TYPEDEF) < 0) {
      bpf_program__set_autoload(prog, false);
      missing_.push_back(tp);
    }
  }
  if (const int err = trace_bpf__load(skel_->obj))
    throw Error("trace: cannot load the BPF programs: " + why(-err, "loading BPF"));

  nr_cpus_ = libbpf_num_possible_cpus();
  if (nr_cpus_ <= 0) throw Error("trace: cannot count the possible CPUs: " + why(-nr_cpus_, "it"));

  bpf_object__for_each_program(prog, skel_->obj->obj) {
    if (!bpf_program__autoload(prog)) continue;
    const std::string tp = tracepoint_of(prog);
    bpf_link* link = bpf_program__attach(prog);
    if (!link) throw Error("trace: cannot attach " + tp + ": " + why(errno, "attaching"));
    skel_->links.push_back(link);
    attached_.push_back(tp);
    if (const auto it = tracepoint_counters().find(tp); it != tracepoint_counters().end())
      for (int c : it->second) available_[c] = true;
  }
  available_[PTL_PID_DROPPED] = true;
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
