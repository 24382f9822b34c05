// Known answers: t quantiles from printed tables, intervals worked by hand
// (the arithmetic is in the comments).
#include "results/stats.h"

#include <gtest/gtest.h>

#include <cmath>

#include "util/error.h"

namespace ptilab {
namespace {

TEST(Stats, TQuantilesMatchTables) {
  EXPECT_NEAR(t_quantile(0.975, 8), 2.306004, 1e-6);
  EXPECT_NEAR(t_quantile(0.975, 2), 4.302653, 1e-6);
  EXPECT_NEAR(t_quantile(0.95, 8), 1.859548, 1e-6);
  EXPECT_NEAR(t_quantile(0.995, 8), 3.355387, 1e-6);
  EXPECT_NEAR(t_quantile(0.975, 1), 12.706205, 1e-6);
  // Large df: the normal quantile.
  EXPECT_NEAR(t_quantile(0.975, 1e9), 1.959964, 1e-6);
  EXPECT_NEAR(t_quantile(0.025, 8), -2.306004, 1e-6);
  EXPECT_THROW(t_quantile(1.0, 8), Error);
  EXPECT_THROW(t_quantile(0.975, 0), Error);
}

TEST(Stats, EqualVariancesSlower) {
  // A=(100,10,5), B=(120,10,5): vA=vB=100/5=20, se=sqrt(40)=6.324555,
  // df=40^2/(20^2/4+20^2/4)=8, t=2.306004, diff 20 +- 14.584451.
  const Summary a{100, 10, 5}, b{120, 10, 5};
  const auto c = compare_summaries(a, b, 0.95);
  ASSERT_TRUE(c.df && c.t && c.difference_ci && c.delta_pct && c.delta_ci_pct);
  EXPECT_NEAR(*c.df, 8, 1e-12);
  EXPECT_NEAR(*c.t, 2.306004, 1e-6);
  EXPECT_DOUBLE_EQ(c.difference, 20);
  EXPECT_NEAR(c.difference_ci->low, 5.4156, 1e-4);
  EXPECT_NEAR(c.difference_ci->high, 34.5844, 1e-4);
  EXPECT_NEAR(*c.delta_pct, 20, 1e-12);
  // Fieller: (10000 - t^2*20) r^2 - 24000 r + (14400 - t^2*20) <= 0, i.e.
  // 9893.647 r^2 - 24000 r + 14293.647 <= 0: r in [1.050433, 1.375367].
  // Wider than [5.42%, 34.58%] (the difference interval / 100) because A's
  // mean is uncertain too.
  EXPECT_NEAR(c.delta_ci_pct->low, 5.0433, 1e-3);
  EXPECT_NEAR(c.delta_ci_pct->high, 37.5367, 1e-3);
  EXPECT_EQ(c.outcome, Outcome::kHigher);
}

TEST(Stats, SwappedIsFaster) {
  // Same numbers the other way: the difference interval is mirrored, the
  // ratio interval is its reciprocal: 1/[1.050433, 1.375367] - 1.
  const auto c = compare_summaries({120, 10, 5}, {100, 10, 5}, 0.95);
  ASSERT_TRUE(c.difference_ci && c.delta_ci_pct);
  EXPECT_NEAR(c.difference_ci->low, -34.5844, 1e-4);
  EXPECT_NEAR(c.difference_ci->high, -5.4156, 1e-4);
  EXPECT_NEAR(*c.delta_pct, -100.0 / 6, 1e-9);
  EXPECT_NEAR(c.delta_ci_pct->low, (1 / 1.375367 - 1) * 100, 1e-3);
  EXPECT_NEAR(c.delta_ci_pct->high, (1 / 1.050433 - 1) * 100, 1e-3);
  EXPECT_EQ(c.outcome, Outcome::kLower);
}

TEST(Stats, UnequalVariancesUseWelchDf) {
  // A=(100, sd 2, n 4): vA=4/4=1; B=(90, sd sqrt(35), n 7): vB=35/7=5.
  // df=(1+5)^2/(1^2/3+5^2/6)=36/4.5=8 (pooled would say 4+7-2=9),
  // se=sqrt(6)=2.449490, t=2.306004: diff -10 +- 5.648533.
  const Summary a{100, 2, 4}, b{90, std::sqrt(35.0), 7};
  const auto df = welch_df(a, b);
  ASSERT_TRUE(df);
  EXPECT_NEAR(*df, 8, 1e-12);
  const auto c = compare_summaries(a, b, 0.95);
  ASSERT_TRUE(c.difference_ci);
  EXPECT_NEAR(c.difference_ci->low, -15.648533, 1e-5);
  EXPECT_NEAR(c.difference_ci->high, -4.351467, 1e-5);
  EXPECT_EQ(c.outcome, Outcome::kLower);
}

TEST(Stats, OverlapIsNoSignificantDifference) {
  // A=(10, sd sqrt(6), 6), B=(14, sd sqrt(18), 6): vA=1, vB=3, df=16/(1/5+9/5)=8,
  // se=2: diff 4 +- 4.612008 = [-0.612008, 8.612008] contains 0.
  const auto c = compare_summaries({10, std::sqrt(6.0), 6}, {14, std::sqrt(18.0), 6}, 0.95);
  ASSERT_TRUE(c.df && c.difference_ci && c.delta_ci_pct);
  EXPECT_NEAR(*c.df, 8, 1e-12);
  EXPECT_NEAR(c.difference_ci->low, -0.612008, 1e-5);
  EXPECT_NEAR(c.difference_ci->high, 8.612008, 1e-5);
  EXPECT_EQ(c.outcome, Outcome::kInconclusive);
  EXPECT_LT(c.delta_ci_pct->low, 0);
  EXPECT_GT(c.delta_ci_pct->high, 0);
  // At 80% the same data is significant: t(0.9, 8)=1.396815, 4 +- 2.79363.
  EXPECT_EQ(compare_summaries({10, std::sqrt(6.0), 6}, {14, std::sqrt(18.0), 6}, 0.80).outcome, Outcome::kHigher);
}

TEST(Stats, DeltaIntervalAndVerdictAgree) {
  // Fieller's interval excludes ratio 1 exactly when |diff| > t*se: sweep B
  // across the boundary 100 + 14.584451 and check both views every step.
  for (double mb = 100; mb <= 130; mb += 0.25) {
    const auto c = compare_summaries({100, 10, 5}, {mb, 10, 5}, 0.95);
    ASSERT_TRUE(c.delta_ci_pct);
    const bool ci_excludes_zero = c.delta_ci_pct->low > 0 || c.delta_ci_pct->high < 0;
    EXPECT_EQ(ci_excludes_zero, c.outcome == Outcome::kHigher) << mb;
    EXPECT_EQ(c.outcome == Outcome::kHigher, mb - 100 > 14.584451) << mb;
  }
}

TEST(Stats, ExactAIsTheDifferenceIntervalOverA) {
  // With no spread in A, Fieller reduces to (mB +- t se_B)/mA: B=(120, 10, 5)
  // has se 4.472136 and df 4 (t 2.776445): 120 +- 12.416640.
  const auto c = compare_summaries({100, 0, 5}, {120, 10, 5}, 0.95);
  ASSERT_TRUE(c.df && c.delta_ci_pct);
  EXPECT_NEAR(*c.df, 4, 1e-12);
  EXPECT_NEAR(c.delta_ci_pct->low, 20 - 12.416640, 1e-4);
  EXPECT_NEAR(c.delta_ci_pct->high, 20 + 12.416640, 1e-4);
}

TEST(Stats, SingleRepetitionIsInsufficient) {
  const auto c = compare_summaries({100, 0, 1}, {120, 10, 5}, 0.95);
  EXPECT_EQ(c.outcome, Outcome::kTooFew);
  EXPECT_FALSE(c.difference_ci);
  EXPECT_FALSE(c.delta_ci_pct);
  ASSERT_TRUE(c.delta_pct);
  EXPECT_NEAR(*c.delta_pct, 20, 1e-12);
  EXPECT_EQ(compare_summaries({100, 10, 5}, {120, 0, 1}, 0.95).outcome, Outcome::kTooFew);
}

TEST(Stats, NoSpreadOnEitherSideGivesOnlyTheDirection) {
  const auto up = compare_summaries({100, 0, 3}, {101, 0, 3}, 0.95);
  EXPECT_EQ(up.outcome, Outcome::kNoSpread);
  EXPECT_EQ(up.exact_sign, 1);
  EXPECT_FALSE(up.difference_ci);
  EXPECT_FALSE(up.delta_ci_pct);
  EXPECT_EQ(compare_summaries({100, 0, 3}, {99, 0, 3}, 0.95).exact_sign, -1);
  EXPECT_EQ(compare_summaries({100, 0, 3}, {100, 0, 3}, 0.95).exact_sign, 0);
}

TEST(Stats, ZeroMeanInAHasNoPercentButAVerdict) {
  // A=(0, 1, 10): the test still works (diff 5, se sqrt(0.1+0.1)=0.447), the
  // ratio does not exist.
  const auto c = compare_summaries({0, 1, 10}, {5, 1, 10}, 0.95);
  EXPECT_FALSE(c.delta_pct);
  EXPECT_FALSE(c.delta_ci_pct);
  EXPECT_EQ(c.outcome, Outcome::kHigher);
}

TEST(Stats, AWithinNoiseOfZeroMakesTheRatioUnbounded) {
  // mA^2 = 1 <= t^2 vA = 2.306^2 * 20: no finite Fieller interval.
  const auto c = compare_summaries({1, 10, 5}, {50, 10, 5}, 0.95);
  ASSERT_TRUE(c.delta_pct);
  EXPECT_FALSE(c.delta_ci_pct);
  ASSERT_TRUE(c.difference_ci);
  EXPECT_EQ(c.outcome, Outcome::kHigher);
}

TEST(Stats, RejectsBadInput) {
  EXPECT_THROW(compare_summaries({1, 1, 5}, {1, 1, 5}, 1.0), Error);
  EXPECT_THROW(compare_summaries({1, 1, 5}, {1, 1, 5}, 0), Error);
  EXPECT_THROW(compare_summaries({1, -1, 5}, {1, 1, 5}, 0.95), Error);
  EXPECT_THROW(compare_summaries({NAN, 1, 5}, {1, 1, 5}, 0.95), Error);
}

// Known answer: equal relative spreads and 4 replicates a side give
// exactly 6 Welch degrees of freedom (t = 2.446912, the textbook 97.5%
// point); the interval is 2 * exp(+-t * sqrt(2 * 0.1^2 / 4)).
TEST(Stats, LogRatioKnownAnswer) {
  const Comparison c = compare_log_ratio({100, 10, 4}, {200, 20, 4}, 0.95);
  ASSERT_TRUE(c.df && c.t && c.delta_ci_pct);
  EXPECT_NEAR(*c.df, 6, 1e-12);
  EXPECT_NEAR(*c.t, 2.446912, 1e-6);
  EXPECT_NEAR(c.delta_ci_pct->low, 68.22369, 1e-4);
  EXPECT_NEAR(c.delta_ci_pct->high, 137.77864, 1e-4);
  EXPECT_NEAR(*c.delta_pct, 100, 1e-12);
  EXPECT_EQ(c.outcome, Outcome::kHigher);
  EXPECT_FALSE(c.difference_ci);
}

// Where Fieller has no finite interval (A within noise of 0: two boots,
// t = 12.7), the log ratio still has one, and it stays above 0.
TEST(Stats, LogRatioIsBoundedAndPositiveWhereFiellerIsNot) {
  const Summary a{1440, 700, 2}, b{34815, 380, 2};
  EXPECT_FALSE(compare_summaries(a, b, 0.95).delta_ci_pct);
  const Comparison c = compare_log_ratio(a, b, 0.95);
  ASSERT_TRUE(c.delta_ci_pct);
  EXPECT_GT(c.delta_ci_pct->low, -100);
  EXPECT_LT(c.delta_ci_pct->low, *c.delta_pct);
  EXPECT_GT(c.delta_ci_pct->high, *c.delta_pct);
  // Not positive: no log, Fieller's answer.
  const Summary zero{0, 1, 3}, one{1, 1, 3};
  EXPECT_EQ(compare_log_ratio(zero, one, 0.95).outcome, compare_summaries(zero, one, 0.95).outcome);
}

// The score of the macro tier. One pair: exactly compare_log_ratio().
TEST(Stats, GeometricMeanOfOnePairIsItsLogRatio) {
  const Summary a{100, 10, 4}, b{200, 20, 4};
  const GeometricMean g = geometric_mean_ratio({{a, b}}, 0.95);
  const Comparison c = compare_log_ratio(a, b, 0.95);
  ASSERT_TRUE(g.ratio_ci && g.df && c.delta_ci_pct);
  EXPECT_NEAR(g.ratio, 2, 1e-12);
  EXPECT_NEAR(*g.df, *c.df, 1e-9);
  EXPECT_NEAR((g.ratio_ci->low - 1) * 100, c.delta_ci_pct->low, 1e-9);
  EXPECT_NEAR((g.ratio_ci->high - 1) * 100, c.delta_ci_pct->high, 1e-9);
}

// Two such pairs: variance of the mean log 2 * 0.005 / 4 = 0.0025, df
// (0.01)^2 / (2 * 0.005^2 / 6) = 12, t = 2.178813; 2 * exp(+-t * 0.05).
TEST(Stats, GeometricMeanKnownAnswer) {
  const Summary a{100, 10, 4}, b{200, 20, 4};
  const GeometricMean g = geometric_mean_ratio({{a, b}, {a, b}}, 0.95);
  EXPECT_EQ(g.pairs, 2);
  ASSERT_TRUE(g.ratio_ci && g.df);
  EXPECT_NEAR(*g.df, 12, 1e-9);
  EXPECT_NEAR(g.ratio_ci->low, 1.7935673, 1e-6);
  EXPECT_NEAR(g.ratio_ci->high, 2.2301923, 1e-6);
}

TEST(Stats, GeometricMeanOfRatiosAndItsLimits) {
  // 1.2 and 0.8: sqrt(0.96), not their arithmetic mean 1.
  const GeometricMean g = geometric_mean_ratio({{{100, 1, 3}, {120, 1, 3}}, {{100, 1, 3}, {80, 1, 3}}}, 0.95);
  EXPECT_NEAR(g.ratio, 0.9797959, 1e-6);
  // A pair without spread: the ratio, no interval.
  const GeometricMean one = geometric_mean_ratio({{{100, 1, 3}, {120, 1, 3}}, {{100, 0, 1}, {80, 0, 1}}}, 0.95);
  EXPECT_NEAR(one.ratio, 0.9797959, 1e-6);
  EXPECT_FALSE(one.ratio_ci);
  EXPECT_THROW(geometric_mean_ratio({}, 0.95), Error);
  EXPECT_THROW(geometric_mean_ratio({{{0, 1, 3}, {1, 1, 3}}}, 0.95), Error);
}

// summarize(): mean, sample stddev (n-1) and count, worked by hand:
// {2, 4, 4, 4, 5, 5, 7, 9}: mean 5, squares 32, stddev sqrt(32/7).
TEST(Stats, SummarizeKnownAnswer) {
  const std::vector<double> v{2, 4, 4, 4, 5, 5, 7, 9};
  const Summary s = summarize(v);
  EXPECT_EQ(s.n, 8);
  EXPECT_DOUBLE_EQ(s.mean, 5);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(32.0 / 7));
  EXPECT_DOUBLE_EQ(median_of(v), 4.5);
  EXPECT_DOUBLE_EQ(median_of({3, 1, 2}), 2);
  // One value has no spread; none has no mean.
  EXPECT_EQ(summarize(std::vector<double>{7}).stddev, 0);
  EXPECT_EQ(summarize(std::vector<double>{7}).mean, 7);
  EXPECT_EQ(summarize(std::vector<double>{}).n, 0);
}

}  // namespace
}  // namespace ptilab
