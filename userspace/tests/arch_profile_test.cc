#include "kernel/arch_profile.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "kernel/cmdline.h"
#include "util/error.h"

namespace ptilab {
namespace {

TEST(ArchProfile, ChosenByEverySpellingOfTheArchitecture) {
  EXPECT_EQ(&profile_for("x86_64"), &x86_profile());
  EXPECT_EQ(&profile_for("amd64"), &x86_profile());
  EXPECT_EQ(&profile_for("aarch64"), &arm64_profile());
  EXPECT_EQ(&profile_for("arm64"), &arm64_profile());
  EXPECT_EQ(find_profile("riscv64"), nullptr);
  try {
    profile_for("riscv64");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "unsupported architecture 'riscv64' (ptilab knows x86_64 and aarch64)");
  }
}

TEST(ArchProfile, EachNamesItsOwnColumnsAndRegister) {
  const ArchProfile& x = x86_profile();
  const ArchProfile& a = arm64_profile();
  EXPECT_EQ(x.isolation, "PTI");
  EXPECT_EQ(a.isolation, "KPTI");
  EXPECT_EQ(x.isolation_key, "pti");
  EXPECT_EQ(a.isolation_key, "kpti");
  EXPECT_EQ(x.tlb_key, "pcid");
  EXPECT_EQ(a.tlb_key, "e0pd");
  EXPECT_EQ(x.pt_register, "CR3");
  EXPECT_EQ(a.pt_register, "TTBR");
  // Every column a profile names is a results column, and a state key.
  for (const ArchProfile* p : all_profiles()) {
    for (const auto key : {p->isolation_key, p->tlb_key}) {
      EXPECT_NE(result_field(ResultRow{}, key), nullptr) << key;
      Isolation iso;
      EXPECT_NE(iso.column(key), nullptr) << key;
    }
    EXPECT_NE(std::find(p->state_keys.begin(), p->state_keys.end(), p->reason_key), p->state_keys.end());
  }
  ResultRow r;
  r.arch = "aarch64";
  r.kpti = "on";
  r.e0pd = "off";
  EXPECT_EQ(a.label(r, true), "kpti=on,e0pd=off");
  EXPECT_EQ(a.isolation_of(r), "on");
}

// The report takes the sentences from here: everything it needs is in the
// JSON, and the cmdline template gives what reason_sentence() gives.
TEST(ArchProfile, JsonHasEveryProfileAndSentence) {
  const auto j = nlohmann::json::parse(profiles_json());
  ASSERT_EQ(j["profiles"].size(), 2u);
  for (const auto& p : j["profiles"]) {
    const ArchProfile& profile = profile_for(p["arch"].get<std::string>());
    EXPECT_EQ(p["isolation_column"], profile.isolation_key);
    for (const auto& r : profile.reasons) EXPECT_EQ(p["reasons"][std::string(r.token)], r.sentence);
    EXPECT_EQ(p["reasons"]["unknown"], profile.unknown_reason);
    std::string t = p["cmdline_reason"]["known"];
    t.replace(t.find("{state}"), 7, "on");
    t.replace(t.find("{option}"), 8, "kpti=1");
    EXPECT_EQ(t, reason_sentence(profile, "cmdline:kpti=1", "on"));
  }
}

TEST(Cmdline, EarlyParamsAsParseArgsSeesThem) {
  const auto p = early_params("  root=/dev/vda pti=on nopti \"foo=bar baz\" quiet=\"a b\" -- pti=off");
  ASSERT_EQ(p.size(), 5u);
  EXPECT_EQ(p[0].name, "root");
  EXPECT_EQ(p[0].value, "/dev/vda");
  EXPECT_EQ(p[1].word, "pti=on");
  EXPECT_EQ(p[2].name, "nopti");
  EXPECT_FALSE(p[2].value);
  EXPECT_EQ(p[3].name, "foo");
  EXPECT_EQ(p[3].value, "bar baz");
  EXPECT_EQ(p[4].name, "quiet");
  EXPECT_EQ(p[4].value, "a b");
  // 6.1's x86 scan of the whole line does see what follows "--".
  EXPECT_EQ(cmdline_words("a -- pti=off").back(), "pti=off");
}

TEST(Cmdline, StrtoboolAndMitigations) {
  for (const char* t : {"1", "y", "Y", "yes", "t", "on", "ON"}) EXPECT_EQ(kernel_strtobool(t), true) << t;
  for (const char* f : {"0", "n", "no", "f", "off", "Off"}) EXPECT_EQ(kernel_strtobool(f), false) << f;
  for (const char* x : {"", "o", "2", "bogus"}) EXPECT_FALSE(kernel_strtobool(x)) << x;
  EXPECT_TRUE(cmdline_mitigations_off("mitigations=off"));
  EXPECT_FALSE(cmdline_mitigations_off("mitigations=off mitigations=auto,nosmt"));
  EXPECT_TRUE(cmdline_mitigations_off("mitigations=off mitigations=nonsense"));
  EXPECT_FALSE(cmdline_mitigations_off("-- mitigations=off"));
}

TEST(Cmdline, KernelVersion) {
  EXPECT_EQ(kernel_version("6.1.0-57-amd64"), (std::pair{6, 1}));
  EXPECT_EQ(kernel_version("6.12.117+deb12-arm64"), (std::pair{6, 12}));
  EXPECT_EQ(kernel_version("6"), std::nullopt);
  EXPECT_EQ(kernel_version("k"), std::nullopt);
}

}  // namespace
}  // namespace ptilab
