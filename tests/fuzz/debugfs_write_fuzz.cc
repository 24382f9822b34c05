// libFuzzer target for the module's write parser (module/parse.c, built
// here against tests/fuzz/shim/): every input is written, as one write of
// its bytes, to each parser -- probe, hook_extra_cr3, hook_flush -- and
// must satisfy:
//
//  - no crash and no undefined behaviour (ASan, UBSan), no read or write
//    outside the len + 1 bytes the module's copy has;
//  - the parser returns 0 or -EINVAL, nothing else;
//  - it agrees with an independent model of the documented grammar
//    (below, written from the README, not from parse.c): the same inputs
//    accepted, the same values out;
//  - a refused input leaves the caller's command untouched, byte for byte;
//  - an accepted one round-trips: its values, written back in the
//    documented form, parse to the same values.
//
// Any violation aborts with the input named, which libFuzzer saves.
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern "C" {
#include "parse.h"
}

namespace {

// Both architectures' primitives: the names the module's lookup knows.
const char* const kPrimitives[] = {
    "cr3_noflush",    "cr3_flush",     "invpcid_addr", "invpcid_single", "invpcid_all_nonglobal",
    "invpcid_all",    "flush_tlb_local", "flush_tlb_all", "ttbr1_isb",    "ttbr0_isb",
    "isb",            "tlbi_aside1is", "tlbi_vmalle1is",
};
constexpr int kNrPrimitives = sizeof(kPrimitives) / sizeof(kPrimitives[0]);

extern "C" int lookup(const char* name) {
  for (int i = 0; i < kNrPrimitives; i++)
    if (std::strcmp(name, kPrimitives[i]) == 0) return i;
  return -1;
}

[[noreturn]] void fail(const char* what, std::string_view input) {
  std::fprintf(stderr, "invariant violated: %s; input (%zu bytes):", what, input.size());
  for (const unsigned char c : input) std::fprintf(stderr, " %02x", c);
  std::fprintf(stderr, "\n");
  std::abort();
}

// ---- the model: the README's grammar, independently ------------------

// The kernel's isspace() (lib/ctype.c): also 0xa0.
bool kspace(unsigned char c) { return (c >= '\t' && c <= '\r') || c == ' ' || c == 0xa0; }

// The words of a write, or nullopt when the write itself is refused.
std::optional<std::vector<std::string>> words(std::string_view in) {
  if (in.empty() || in.size() > PTILAB_MAX_WRITE || in.find('\0') != std::string_view::npos) return std::nullopt;
  while (!in.empty() && kspace(static_cast<unsigned char>(in.front()))) in.remove_prefix(1);
  while (!in.empty() && kspace(static_cast<unsigned char>(in.back()))) in.remove_suffix(1);
  std::vector<std::string> out;
  std::string cur;
  for (const char c : in) {
    if (c == ' ' || c == '\t') {
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

struct Arg {
  std::string key;
  unsigned min, max;
  std::optional<unsigned> val;
};

// key=value words; decimal digits only, in range, each key once.
bool parse_args(const std::vector<std::string>& ws, std::size_t from, std::vector<Arg>& args) {
  for (std::size_t i = from; i < ws.size(); i++) {
    const std::size_t eq = ws[i].find('=');
    if (eq == std::string::npos) return false;
    const std::string key = ws[i].substr(0, eq), val = ws[i].substr(eq + 1);
    Arg* a = nullptr;
    for (auto& x : args)
      if (x.key == key) a = &x;
    if (!a || a->val || val.empty()) return false;
    std::uint64_t v = 0;
    for (const char c : val) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + static_cast<unsigned>(c - '0');
      if (v > 0xffffffffULL) return false;
    }
    if (v < a->min || v > a->max) return false;
    a->val = static_cast<unsigned>(v);
  }
  return true;
}

std::optional<ptilab_probe_cmd> model_probe(std::string_view in) {
  const auto ws = words(in);
  if (!ws || ws->empty()) return std::nullopt;
  const int prim = lookup((*ws)[0].c_str());
  if (prim < 0) return std::nullopt;
  std::vector<Arg> args{{"iterations", 1, PTILAB_PROBE_MAX_ITERS, std::nullopt}};
  if (!parse_args(*ws, 1, args)) return std::nullopt;
  return ptilab_probe_cmd{prim, args[0].val.value_or(PTILAB_PROBE_DEFAULT_ITERS)};
}

std::optional<ptilab_hook_cmd> model_hook(std::string_view in, bool with_writes) {
  const auto ws = words(in);
  if (!ws) return std::nullopt;
  std::vector<Arg> args{{"pid", 0, 0x7fffffff, std::nullopt}};
  if (with_writes) args.push_back({"writes", 0, PTILAB_HOOK_MAX_WRITES, std::nullopt});
  if (!parse_args(*ws, 0, args) || !args[0].val) return std::nullopt;
  // pid=N writes=W installs, pid=0 alone removes.
  if (with_writes && args[1].val.has_value() != (*args[0].val != 0)) return std::nullopt;
  return ptilab_hook_cmd{*args[0].val, with_writes ? args[1].val.value_or(0) : 0};
}

// ---- the parser, as the module calls it ------------------------------

// The module's copy: exactly len bytes and a NUL (memdup_user_nul()).
struct Copy {
  explicit Copy(std::string_view in) : buf(static_cast<char*>(std::malloc(in.size() + 1))), len(in.size()) {
    if (!buf) std::abort();
    std::memcpy(buf, in.data(), in.size());
    buf[in.size()] = '\0';
  }
  ~Copy() { std::free(buf); }
  Copy(const Copy&) = delete;
  Copy& operator=(const Copy&) = delete;
  char* buf;
  std::size_t len;
};

template <typename Cmd>
void poison(Cmd& c) {
  std::memset(&c, 0xa5, sizeof c);
}

template <typename Cmd>
bool poisoned(const Cmd& c) {
  Cmd p;
  poison(p);
  return std::memcmp(&p, &c, sizeof c) == 0;
}

// One parser run on a copy of the input: 0 or -EINVAL only, and a refused
// input leaves the (poisoned) command untouched.
template <typename Cmd, typename Parse>
std::optional<Cmd> run(std::string_view in, const std::string& what, Parse parse) {
  Copy c(in);
  Cmd cmd;
  poison(cmd);
  const int ret = parse(c.buf, c.len, &cmd);
  if (ret != 0 && ret != -EINVAL) fail((what + ": neither 0 nor -EINVAL").c_str(), in);
  if (ret) {
    if (!poisoned(cmd)) fail((what + ": refused, but the command was written").c_str(), in);
    return std::nullopt;
  }
  return cmd;
}

std::optional<ptilab_probe_cmd> run_probe(std::string_view in) {
  return run<ptilab_probe_cmd>(in, "probe", [](char* buf, std::size_t len, ptilab_probe_cmd* cmd) {
    return ptilab_parse_probe(buf, len, lookup, cmd);
  });
}

std::optional<ptilab_hook_cmd> run_hook(std::string_view in, bool with_writes) {
  return run<ptilab_hook_cmd>(in, "hook", [with_writes](char* buf, std::size_t len, ptilab_hook_cmd* cmd) {
    return ptilab_parse_hook(buf, len, with_writes, cmd);
  });
}

void check_probe(std::string_view in) {
  const auto got = run_probe(in);
  const auto want = model_probe(in);
  if (got.has_value() != want.has_value()) fail(got ? "probe: accepted what the grammar refuses" : "probe: refused what the grammar accepts", in);
  if (!got) return;
  if (got->primitive != want->primitive || got->iterations != want->iterations) fail("probe: values differ from the grammar's", in);
  if (got->primitive < 0 || got->primitive >= kNrPrimitives || got->iterations < 1 ||
      got->iterations > PTILAB_PROBE_MAX_ITERS)
    fail("probe: value out of range", in);
  const std::string again =
      std::string(kPrimitives[got->primitive]) + " iterations=" + std::to_string(got->iterations) + "\n";
  const auto back = run_probe(again);
  if (!back || back->primitive != got->primitive || back->iterations != got->iterations)
    fail("probe: does not round-trip", in);
}

void check_hook(std::string_view in, bool with_writes) {
  const auto got = run_hook(in, with_writes);
  const auto want = model_hook(in, with_writes);
  if (got.has_value() != want.has_value()) fail(got ? "hook: accepted what the grammar refuses" : "hook: refused what the grammar accepts", in);
  if (!got) return;
  if (got->pid != want->pid || got->writes != want->writes) fail("hook: values differ from the grammar's", in);
  if (got->pid > 0x7fffffffU || got->writes > PTILAB_HOOK_MAX_WRITES || (!with_writes && got->writes))
    fail("hook: value out of range", in);
  std::string again = "pid=" + std::to_string(got->pid);
  if (with_writes && got->pid) again += " writes=" + std::to_string(got->writes);
  const auto back = run_hook(again + "\n", with_writes);
  if (!back || back->pid != got->pid || back->writes != got->writes) fail("hook: does not round-trip", in);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  check_probe(in);
  check_hook(in, true);
  check_hook(in, false);
  return 0;
}
