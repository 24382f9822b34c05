// How `ptilab status` (model/status.h) is shown: sections for people, or
// one JSON object for scripts.
#pragma once

#include <string>

#include "model/status.h"

namespace ptilab {

std::string status_text(const StatusReport& report);
std::string status_json(const StatusReport& report);

}  // namespace ptilab
