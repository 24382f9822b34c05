#include "model/status.h"

namespace ptilab {

KeyValues kernel_state(const std::optional<std::string>& meltdown_text, const std::optional<std::string>& cpuinfo_text,
                       const std::optional<std::string>& cmdline_text, std::string_view arch, std::string_view kernel) {
  KernelFiles k;
  k.arch = arch;
  k.kernel = kernel;
  k.meltdown = meltdown_text;
  k.cpuinfo = cpuinfo_text;
  k.cmdline = cmdline_text;
  return profile_for(arch).kernel_state(k);
}

StatusVerdict decide_status(const ArchProfile& profile, const KeyValues& state, StateOrigin origin) {
  return profile.decide(profile, state, origin);
}

}  // namespace ptilab
