using Sightline.Text.Coalitions;

namespace Sightline.Text.Tests.Coalitions;

public sealed class CoalitionSamplerTests
{
    [Theory]
    // spec §4.4: n, requested m, fixed pool P, total fixed, total legacy.
    [InlineData(2, 1, 0, 2, 3)]
    [InlineData(3, 4, 3, 6, 7)]
    [InlineData(4, 11, 10, 14, 15)]
    [InlineData(5, 26, 25, 30, 31)]
    [InlineData(6, 30, 56, 36, 36)]
    [InlineData(7, 30, 119, 37, 37)]
    [InlineData(8, 30, 246, 38, 38)]
    public void Semex_coalition_counts_match_the_spec_table_with_and_without_the_legacy_bug(int n, int m, long pool, int fixedTotal, int legacyTotal)
    {
        Assert.Equal(m, CoalitionSampler.SemexRequested(n));
        Assert.Equal(pool, CoalitionSampler.Pool(n));
        for (ulong seed = 0; seed < 20; seed++)
        {
            int essentials = CoalitionSampler.Essentials(n).Count;
            Assert.Equal(fixedTotal, essentials + CoalitionSampler.Random(n, m, seed).Count);
            Assert.Equal(legacyTotal, essentials + CoalitionSampler.Random(n, m, seed, legacyOneBased: true).Count);
        }
    }

    [Fact]
    public void Legacy_generator_for_three_concepts_maps_accepted_strings_as_the_spec_says_and_never_has_concept_zero()
    {
        var expected = new Dictionary<string, int[]>
        {
            ["001"] = [], ["010"] = [2], ["011"] = [2], ["100"] = [1], ["101"] = [1],
        };
        var seenStrings = new HashSet<string>();
        for (ulong seed = 0; seed < 50; seed++)
            foreach (var c in CoalitionSampler.Random(3, 4, seed, legacyOneBased: true))
            {
                Assert.NotNull(c.Bits);
                Assert.True(expected.ContainsKey(c.Bits!), $"string {c.Bits} should have been rejected");
                var present = Enumerable.Range(0, 3).Where(k => c.Present[k]).ToArray();
                Assert.Equal(expected[c.Bits!], present);
                Assert.False(c.Present[0]);
                seenStrings.Add(c.Bits!);
            }
        Assert.Equal(expected.Keys.Order(), seenStrings.Order());
    }

    [Fact]
    public void Fixed_generator_never_returns_empty_full_essential_or_duplicate_coalitions()
    {
        for (int n = 2; n <= 12; n++)
            for (ulong seed = 0; seed < 5; seed++)
            {
                var drawn = CoalitionSampler.Random(n, 30, seed);
                Assert.All(drawn, c => Assert.InRange(c.Size, 1, n - 2));
                Assert.Equal(drawn.Count, drawn.Select(c => c.Bits).Distinct().Count());
                Assert.All(drawn, c => Assert.Equal(c.Present, CoalitionSampler.Effective(c.Bits!, false)));
                Assert.Equal(Math.Min(30, CoalitionSampler.Pool(n)), drawn.Count);
            }
    }

    [Fact]
    public void Wide_prompts_draw_bits_one_by_one_with_the_same_exclusions()
    {
        var drawn = CoalitionSampler.Random(100, 50, 7);
        Assert.Equal(50, drawn.Count);
        Assert.All(drawn, c => Assert.InRange(c.Size, 1, 98));
        // About half the players present on average (Bernoulli(½)).
        Assert.InRange(drawn.Average(c => c.Size), 40, 60);
    }

    [Fact]
    public void The_same_seed_gives_the_same_coalitions_and_another_seed_other_ones()
    {
        var a = CoalitionSampler.Random(10, 20, 1).Select(c => c.Bits).ToArray();
        var b = CoalitionSampler.Random(10, 20, 1).Select(c => c.Bits).ToArray();
        var c = CoalitionSampler.Random(10, 20, 2).Select(c => c.Bits).ToArray();
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void The_attempt_cap_is_ten_times_the_request()
    {
        // n = 3 legacy: pool 5, so asking for 4 can need several attempts; asking for 1 never makes more than 10, and with
        // the fixed generator and a pool of 3, a request of 2 (< P) is met or stopped within 20 attempts: always ≤ 2 back.
        for (ulong seed = 0; seed < 100; seed++)
        {
            Assert.InRange(CoalitionSampler.Random(3, 2, seed).Count, 1, 2);
            Assert.Single(CoalitionSampler.Random(3, 1, seed, legacyOneBased: true));
        }
    }

    [Theory]
    [InlineData(3, 0.0, 1000, 0)]
    [InlineData(5, 0.5, 1000, 13)]   // ⌊(32 − 1 − 5)·0.5⌋ = 13 ≤ budget 995, ≤ P = 25
    [InlineData(5, 1.0, 1000, 25)]   // budget 995 capped by P = 25
    [InlineData(5, 0.9, 8, 3)]       // budget max(0, 8 − 5) = 3
    [InlineData(6, 0.5, 2, 0)]       // M raised to n: budget 0
    [InlineData(4, 0.5, null, 5)]    // no cap: ⌊11·0.5⌋ = 5
    public void TokenShap_extra_coalitions_follow_the_head_formula(int n, double r, int? m, long expected) =>
        Assert.Equal(expected, CoalitionSampler.TokenShapExtra(n, r, m));

    [Fact]
    public void TokenShap_ratio_of_one_without_a_cap_is_refused() =>
        Assert.Throws<InputDataException>(() => CoalitionSampler.TokenShapExtra(4, 1.0, null));
}
