// `ptilab schema` and `ptilab profiles`: what every consumer of the results
// (scripts, the report) checks itself against.
#pragma once

namespace ptilab {

// The results header, or with json {"columns": [...], "units": [...]}.
int run_schema(bool json);

// The profiles as a table, or with json as profiles_json() has them.
int run_profiles(bool json);

}  // namespace ptilab
