#include "cmd/probe.h"

#include <iostream>

#include "render/probe.h"
#include "util/error.h"

namespace ptilab {

int run_probe_cmd(const ProbeOptions& o) {
  const Debugfs fs(o.debugfs);
  const ProbeReport report = parse_probe(fs.read("probe"), fs.file("probe").string());
  const auto names = select_primitives(report, o.names, o.all);
  if (names.empty()) throw Error("this CPU supports none of the module's primitives");

  std::vector<ProbeOutcome> outcomes;
  std::size_t failed = 0;
  for (const auto& name : names) {
    const PrimitiveSupport* p = report.find_primitive(name);
    if (p && !p->supported) {
      ProbeOutcome unsupported;
      unsupported.kind = ProbeOutcome::Kind::kUnsupported;
      unsupported.primitive = name;
      outcomes.push_back(std::move(unsupported));
      continue;
    }
    outcomes.push_back(run_probe(fs, name, o.iterations));
    if (outcomes.back().kind == ProbeOutcome::Kind::kFailed) ++failed;
  }
  if (failed == names.size())
    throw Error(outcomes.front().error + (failed > 1 ? " (and " + std::to_string(failed - 1) + " more)" : ""));
  for (const auto& out : outcomes)
    if (!out.error.empty()) std::cerr << "ptilab: " << out.error << "\n";
  std::cout << (o.json ? format_probe_json(outcomes) : format_probe_table(outcomes));
  return 0;
}

}  // namespace ptilab
