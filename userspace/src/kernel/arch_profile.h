// One profile per architecture: what ptilab knows about how it isolates
// the kernel from user mode, chosen once from `uname -m` (or a results
// row's arch column) so that no command branches on the architecture.
// The module is arranged the same way (module/state_x86.c,
// module/state_arm64.c); the two profiles live in arch_x86.cc and
// arch_arm64.cc, and `ptilab profiles --json` hands them to the report.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kernel/state.h"
#include "kernel/status_model.h"
#include "results/results.h"

namespace ptilab {

struct ReasonText {
  std::string_view token;     // the module's reason: "meltdown_bug", "kaslr", ...
  std::string_view sentence;  // for people
};

// A yes/no fact of the state that a fleet watches: a Prometheus gauge
// (ptilab export, ptilab trace --prometheus), 1 when the state key is on,
// 0 when off, absent when unknown.
struct FleetFlag {
  std::string_view key;     // state key: "pcid", "e0pd_hw", "kaslr"
  std::string_view metric;  // "ptilab_pcid_available"
  std::string_view help;
};

// What /proc/cpuinfo says the CPU is.
struct CpuIdentity {
  std::string model;  // "Intel(R) Xeon(R) ... @ 2.40GHz", "Arm Cortex-A72 r0p3"; empty if unknown
  std::vector<std::pair<std::string, std::string>> ids;  // e.g. {"midr", "0x410fd083"}
};

struct ArchProfile {
  std::string_view name;                    // "x86", "arm64": how people call it
  std::string_view arch;                    // `uname -m`, and the results' arch column
  std::vector<std::string_view> spellings;  // every accepted name: arch, "amd64", "arm64", ...
  std::string_view isolation;               // "PTI", "KPTI"
  std::string_view isolation_key;           // state key and results column: "pti", "kpti"
  std::string_view reason_key;              // "pti_reason", "kpti_reason"
  std::string_view tlb_key;                 // the other results column, a state key too: "pcid", "e0pd"
  std::string_view tlb_name;                // "PCID", "E0PD"
  std::string_view tlb_heading;             // status's TLB section: "PCID", "E0PD and ASIDs"
  std::string_view pt_register;             // what a page-table switch writes: "CR3", "TTBR"
  std::string_view pt_write;                // what the cost probes time: "CR3 write", "TTBR1 write + ISB"
  std::string_view probe_unit;              // the probes' counter: "cycles", "timer ticks"
  std::vector<std::string_view> write_probes;  // probes of one page-table write, best first
  std::string_view basic_probe;             // a probe every CPU of the architecture has
  std::vector<std::string_view> state_keys;    // the module's keys status explains, in its order
  std::vector<ReasonText> reasons;          // every reason token but cmdline:<option>
  std::string_view unknown_reason;          // the sentence for "unknown"
  std::string_view turn_off;                // the command-line options that turn it off
  std::vector<FleetFlag> fleet_flags;       // the state's facts a fleet watches, in export order

  // Without the module: the results columns, and the module-like keys the
  // kernel's own files give (inferred reason included, unknowns left out).
  Isolation (*kernel_isolation)(const KernelFiles& files) = nullptr;
  KeyValues (*kernel_state)(const KernelFiles& files) = nullptr;
  // ptilab status's decisions, from the state's key/values.
  StatusVerdict (*decide)(const ArchProfile& self, const KeyValues& state, StateOrigin origin) = nullptr;
  // The CPU, from /proc/cpuinfo.
  CpuIdentity (*cpu)(std::string_view cpuinfo) = nullptr;
  // The probe of the page-table write each kernel entry and exit makes
  // with isolation on, given the state's TLB column (pcid, e0pd): what an
  // entry is priced at from the module's probes (ptilab trace --estimate,
  // the exporter's estimate).
  std::string_view (*entry_write_probe)(std::string_view tlb) = nullptr;

  // "pti=on", "kpti=off,e0pd=on": a results row's configuration.
  std::string label(const ResultRow& row, bool with_tlb) const;
  // "pti=on pcid=off": the isolation columns as detected.
  std::string describe(const Isolation& iso) const;
  // on/off/unknown of the isolation and the TLB column in a row.
  const std::string& isolation_of(const ResultRow& row) const;
  const std::string& tlb_of(const ResultRow& row) const;
};

const ArchProfile& x86_profile();
const ArchProfile& arm64_profile();
const std::vector<const ArchProfile*>& all_profiles();

// The profile whose spellings include arch; nullptr if none.
const ArchProfile* find_profile(std::string_view arch);
// The same, or Error("unsupported architecture ...").
const ArchProfile& profile_for(std::string_view arch);

// A reason token as a sentence: the profile's own for fixed tokens;
// "cmdline:<option>" is "forced <state> by <option> on the kernel command
// line" (state: the isolation's on/off, which the module's reason always
// agrees with; "set by" if unknown); empty or "unknown" the profile's
// unknown sentence.
std::string reason_sentence(const ArchProfile& p, std::string_view token, std::string_view state);

// The template of the cmdline sentences, for consumers that fill them in
// themselves (the report): "{option}" and "{state}" are replaced.
inline constexpr std::string_view kCmdlineReasonTemplate = "forced {state} by {option} on the kernel command line";
inline constexpr std::string_view kCmdlineReasonTemplateUnknown = "set by {option} on the kernel command line";

// Every profile as JSON (ptilab profiles --json).
std::string profiles_json();

// What the profiles read from a state: a key's value, "unknown" when the
// state lacks it; on/off as "yes"/"no" ("unknown" otherwise).
std::string state_value(const KeyValues& kv, std::string_view key);
std::string yes_no(std::string_view on_off);

// Common to every profile's decide(): isolation name, state, bug, reason
// sentence, what is unknown among the profile's state keys.
StatusVerdict verdict_base(const ArchProfile& p, const KeyValues& state, StateOrigin origin);

}  // namespace ptilab
