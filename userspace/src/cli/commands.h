// The command table (commands.cc): every subcommand with its synopsis, its
// description and its options bound to the options struct of its cmd/
// file. cli.cc parses with it and runs the command chosen.
#pragma once

#include <CLI/CLI.hpp>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "cmd/bench.h"
#include "cmd/compare.h"
#include "cmd/counters.h"
#include "cmd/export.h"
#include "cmd/hook.h"
#include "cmd/merge.h"
#include "cmd/probe.h"
#include "cmd/query.h"
#include "cmd/snapshot.h"
#include "cmd/status.h"
#include "cmd/table.h"
#include "cmd/trace.h"

namespace ptilab::cli {

struct Command {
  CLI::App* app = nullptr;
  std::string synopsis;     // the usage lines, "ptilab bench [OPTIONS] ..."
  std::string description;  // what it does, for its --help
  // Arguments after the first "--" are not CLI11's: Google Benchmark's
  // flags (bench), the command to run hooked (hook extra-cr3, flush).
  bool passthrough = false;
  // Checks what CLI11 cannot (combinations, regexes), then runs. Throws
  // UsageError or Error.
  std::function<int()> run;
};

struct Commands {
  // The options each command fills; CLI11 writes into them while parsing.
  BenchOptions bench;
  bool bench_no_pin = false;
  MergeOptions merge;
  TableOptions table;
  CompareOptions compare;
  CountersOptions counters;
  StatusOptions status;
  ProbeOptions probe;
  HookOptions hook;
  std::string hook_remove = "all";
  SnapshotOptions snapshot;
  QueryOptions query;
  bool schema_json = false;
  bool profiles_json = false;
  TraceOptions trace;
  ExportOptions export_;  // `export` is a C++ keyword

  std::vector<std::string> passthrough;  // after "--", for a passthrough command
  bool saw_separator = false;            // "--" was given
  std::string argv0 = "ptilab";

  // Every command and subcommand, in the order of the overview; a deque
  // because the lambdas hold references to its elements.
  std::deque<Command> list;

  CLI::App* bench_app() const;
  const Command* find(const CLI::App* app) const {
    for (const auto& c : list)
      if (c.app == app) return &c;
    return nullptr;
  }
};

// Adds every subcommand to app, bound to table.
void add_commands(CLI::App& app, Commands& table);

}  // namespace ptilab::cli
