#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "util/atomic_file.h"
#include "util/error.h"

namespace ptilab {

namespace {

using cli::Command;
using cli::Commands;

// CLI11's help, in ptilab's shape: the synopsis first ("usage: ptilab
// bench ...", what scripts and tests look for), then what the command
// does, then the options CLI11 knows.
class Formatter : public CLI::Formatter {
 public:
  explicit Formatter(const Commands& table) : table_(table) { column_width(30); }

  std::string make_usage(const CLI::App* app, std::string) const override {
    if (const Command* c = table_.find(app)) return "usage: " + c->synopsis + "\n";
    std::string out;  // the program: every command's synopsis
    for (const auto& c : table_.list)
      if (c.app->get_parent() == app) out += (out.empty() ? "usage: " : "       ") + c.synopsis + "\n";
    return out + "       ptilab help [COMMAND]\n";
  }

  std::string make_description(const CLI::App* app) const override {
    if (const Command* c = table_.find(app)) return "\n" + c->description + "\n";
    return "\nWhat does page-table isolation cost here, why is it on, and what would turn it off?\n";
  }

  std::string make_footer(const CLI::App* app) const override {
    if (table_.find(app)) return {};
    return "ptilab COMMAND --help prints that command's options. Exit status: 0 success, 1\n"
           "failure (one line on stderr), 2 bad usage (the message and the usage on stderr).\n"
           "The module's commands (status, probe, hook, snapshot --probes/--audit) read\n"
           "ptilab.ko's debugfs files (--debugfs DIR, default /sys/kernel/debug/ptilab;\n"
           "usually root only).\n";
  }

  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    if (mode == CLI::AppFormatMode::Sub) return CLI::Formatter::make_help(app, name, mode);
    std::ostringstream out;
    out << make_usage(app, name) << make_description(app) << make_positionals(app)
        << make_groups(app, mode) << make_subcommands(app, mode) << '\n'
        << make_footer(app);
    return out.str();
  }

 private:
  const Commands& table_;
};

// Messages are one line even when they quote file contents.
std::string one_line(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
  return out;
}

// The deepest command given: "hook extra-cr3" rather than "hook".
CLI::App* chosen(CLI::App& app) {
  CLI::App* at = &app;
  for (;;) {
    const auto subs = at->get_subcommands();
    if (subs.empty()) return at;
    at = subs.front();
  }
}

CLI::App* find_command(CLI::App& app, const std::string& name) {
  for (CLI::App* sub : app.get_subcommands({}))
    if (sub->get_name() == name) return sub;
  return nullptr;
}

// The program's command line: the command table, parsed into it.
class CommandLine {
 public:
  CommandLine() {
    app_.formatter(std::make_shared<Formatter>(table_));
    app_.set_help_flag("-h,--help", "this help; COMMAND --help: that command's");
    // PTILAB_VERSION: debian/changelog's newest entry (userspace/CMakeLists.txt),
    // the one place the version lives, so the package and the program agree.
    app_.set_version_flag("--version", "ptilab " PTILAB_VERSION, "the version, as the Debian package has it");
    app_.require_subcommand(0, 1);
    cli::add_commands(app_, table_);
    help_ = app_.add_subcommand("help", "this overview, or ptilab help COMMAND: that command's options");
    help_->group("Commands");
    help_->add_option("COMMAND", help_topic_, "a command")->type_name("");
  }

  Commands& table() { return table_; }

  // The command to run, or nullptr when help was asked for (and printed
  // to out). Throws UsageError.
  const Command* parse(std::vector<std::string> args, std::ostream& out) {
    if (args.empty()) throw UsageError("no subcommand given");
    if (!args.front().starts_with("-") && !find_command(app_, args.front()))
      throw UsageError("unknown subcommand '" + args.front() + "'");
    // "--" belongs to a passthrough command: Google Benchmark's flags, the
    // command to hook. Elsewhere CLI11 takes it as the end of the options.
    const CLI::App* first = find_command(app_, args.front());
    if (const Command* c = first ? table_.find(first) : nullptr; c && c->passthrough) {
      for (auto it = args.begin(); it != args.end(); ++it) {
        if (*it != "--") continue;
        table_.saw_separator = true;
        table_.passthrough.assign(it + 1, args.end());
        args.erase(it, args.end());
        break;
      }
    }
    // CLI11 parses a reversed vector (it pops from the back).
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
      app_.parse(reversed);
    } catch (const CLI::CallForHelp&) {
      out << chosen(app_)->help();
      return nullptr;
    } catch (const CLI::CallForVersion& e) {
      out << e.what() << '\n';
      return nullptr;
    } catch (const CLI::ParseError& e) {
      // CLI11 says "quick was given a disallowed flag override".
      const std::string what = e.what();
      const std::string_view override_said = " was given a disallowed flag override";
      if (what.ends_with(override_said))
        throw UsageError("--" + what.substr(0, what.size() - override_said.size()) + " takes no value");
      throw UsageError(what);
    }
    CLI::App* at = chosen(app_);
    if (at == help_) {
      CLI::App* topic = help_topic_.empty() ? &app_ : find_command(app_, help_topic_);
      if (!topic) throw UsageError("help: unknown command '" + help_topic_ + "'");
      // Not topic->help(): the program's would describe the command chosen, help.
      out << topic->get_formatter()->make_help(topic, topic->get_name(), CLI::AppFormatMode::Normal);
      return nullptr;
    }
    const Command* command = table_.find(at);
    if (!command || !command->run) throw UsageError("no subcommand given");
    if (table_.saw_separator && !command->passthrough)
      throw UsageError("ptilab " + at->get_name() + " runs no command: '--' does not go with it");
    return command;
  }

  // The help of the command the arguments chose (as far as they were
  // read), for usage errors.
  std::string chosen_help() { return chosen(app_)->help(); }

 private:
  Commands table_;
  CLI::App app_{"ptilab", "ptilab"};
  CLI::App* help_ = nullptr;
  std::string help_topic_;
};

}  // namespace

int run_cli(int argc, char** argv) {
  // An interrupted command leaves no temporary file behind.
  remove_temp_files_on_signals();
  CommandLine line;
  if (argc > 0) line.table().argv0 = argv[0];
  try {
    const Command* command = line.parse(std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc), std::cout);
    return command ? command->run() : 0;
  } catch (const UsageError& e) {
    std::cerr << "ptilab: " << one_line(e.what()) << "\n\n" << line.chosen_help();
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "ptilab: " << one_line(e.what()) << "\n";
    return 1;
  }
}

TraceOptions parse_trace(const std::vector<std::string>& args) {
  CommandLine line;
  std::vector<std::string> all{"trace"};
  all.insert(all.end(), args.begin(), args.end());
  std::ostringstream help;
  if (!line.parse(all, help)) throw UsageError("help asked for");
  return line.table().trace;
}

}  // namespace ptilab
