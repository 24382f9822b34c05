// Kernel text locality (model/locality.h) as text: `ptilab status`'s
// section, `ptilab table`'s per-node section and its CSV
// (`ptilab table --locality-csv`, what the report reads).
#pragma once

#include <string>
#include <vector>

#include "model/locality.h"

namespace ptilab {

// Per configuration a heading (where the kernel's text is, the boots),
// then per benchmark its time on each node and each other node's over the
// text's node, with the interval; a configuration with one node says it
// ran once; a legend, and under TCG that no difference is expected.
std::string render_locality(const std::vector<LocalityGroup>& groups, std::vector<std::string>* notes);

// One record per (configuration, benchmark, node); header
// arch,kernel,accel,config,benchmark,node,cpu,text_node,reference,mean_ns,
// stddev_ns,boots,ratio,ci_low,ci_high,basis,verdict,note. ratio and its
// interval are this node's time over the reference node's (empty for the
// reference itself).
std::string format_locality_csv(const std::vector<LocalityGroup>& groups);

// What the note column and the text say of a configuration (TCG, one
// node, text node unknown); empty if nothing.
std::string locality_note(const LocalityGroup& g);

}  // namespace ptilab
