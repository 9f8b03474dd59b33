using Sightline.Numerics;

namespace Sightline.Tests.Metrics;

public sealed class NumpyPairwiseTests
{
    [Fact]
    public void Fixture_inputs_are_regenerated_exactly()
    {
        // SplitMix64 with seed 0: the first output of the reference generator (Vigna's splitmix64.c) is 0xE220A8397B1DCDAF.
        Assert.Equal(0xE220A8397B1DCDAFUL, NumpySumFixtures.Stream(0, 0));
        Assert.Equal(0.3f, NumpySumFixtures.Values(2, 11, 20).First(v => v > 0.25f && v < 0.35f));
    }

    [Fact]
    public void ReduceSum_matches_numpy_sum_bit_for_bit_for_lengths_1_to_20000()
    {
        var cases = NumpySumFixtures.Sums();
        Assert.True(cases.Count > 350);
        Assert.Contains(cases, c => c.Length == 128);
        Assert.Contains(cases, c => c.Length == 8193);
        Assert.Contains(cases, c => c.Length == 20000);
        var mismatches = new List<string>();
        foreach (var c in cases)
        {
            var x = NumpySumFixtures.Values(c.Kind, c.Seed, c.Length);
            float got = NumpyPairwise.ReduceSum(x);
            if (BitConverter.SingleToUInt32Bits(got) != BitConverter.SingleToUInt32Bits(c.Expected))
                mismatches.Add($"n={c.Length} kind={c.Kind}: {got:R} vs numpy {c.Expected:R}");
        }
        Assert.Empty(mismatches);
    }

    [Fact]
    public void The_fixture_distinguishes_the_chunked_order_from_one_pairwise_pass_and_from_float64()
    {
        // Above 8192 elements np.sum adds per-chunk pairwise sums; one pairwise pass over the whole array differs on
        // some fixture rows, so the fixture really tests the chunking (and the pairwise tree, against a float64 sum).
        int differsFromOnePass = 0, differsFromDouble = 0;
        foreach (var c in NumpySumFixtures.Sums())
        {
            var x = NumpySumFixtures.Values(c.Kind, c.Seed, c.Length);
            if (c.Length > NumpyPairwise.DefaultBufferSize && NumpyPairwise.Sum(x) != c.Expected) differsFromOnePass++;
            double d = 0;
            foreach (float v in x) d += v;
            if ((float)d != c.Expected) differsFromDouble++;
        }
        Assert.True(differsFromOnePass >= 5, $"{differsFromOnePass} rows");
        Assert.True(differsFromDouble >= 50, $"{differsFromDouble} rows");
    }

    [Fact]
    public void Sum_follows_the_block_and_split_rules_on_exact_witnesses()
    {
        // At 2^24 the float32 spacing is 2, so adding 1 at a time loses it (ties to even) while 1 + 1 = 2 survives:
        // which additions happen first decides the result. Expected values from NumPy 1.24's np.sum.
        const float big = 16777216f;
        // n = 8: r = the 8 values, ((big + 0) + (1 + 1)) + … = big + 2.
        Assert.Equal(big + 2, NumpyPairwise.Sum(new float[] { big, 0, 1, 1, 0, 0, 0, 0 }));
        // n = 7 < 8: a plain loop from the left, ((big + 0) + 1) + 1 = big.
        Assert.Equal(big, NumpyPairwise.Sum(new float[] { big, 0, 1, 1, 0, 0, 0 }));
        // n = 10: the block gives big + 2, then the tail in order: + 1 → big + 4 (tie to even), + 1 → big + 4.
        Assert.Equal(big + 4, NumpyPairwise.Sum(new float[] { big, 0, 1, 1, 0, 0, 0, 0, 1, 1 }));
        // n = 136 > 128: split at 64, so the two ones at 64 and 65 are summed together in the right half first.
        var split = new float[136];
        split[0] = big;
        split[64] = split[65] = 1;
        Assert.Equal(big + 2, NumpyPairwise.Sum(split));
        Assert.Equal(0f, NumpyPairwise.ReduceSum([]));
        Assert.Equal(3f, NumpyPairwise.ReduceSum([1, 2]));
    }

    [Fact]
    public void ReduceSumAbove_equals_the_sum_of_the_soft_thresholded_array()
    {
        // np.sum(np.where(x > t, x, 0)): the same order as summing a thresholded copy, without the copy.
        foreach (var c in NumpySumFixtures.Sums().Where(c => c.Kind is 1 or 2))
        {
            var x = NumpySumFixtures.Values(c.Kind, c.Seed, c.Length);
            foreach (float t in new[] { 0.6f, 0.3f, -1f, 2f })
            {
                var kept = x.Select(v => v > t ? v : 0f).ToArray();
                Assert.Equal(BitConverter.SingleToUInt32Bits(NumpyPairwise.ReduceSum(kept)), BitConverter.SingleToUInt32Bits(NumpyPairwise.ReduceSumAbove(x, t)));
            }
        }
        Assert.Equal(0f, NumpyPairwise.ReduceSumAbove([float.NaN, 0.5f], 0.6f));
    }

    [Fact]
    public void ReduceSum_rejects_a_non_positive_buffer_size() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => NumpyPairwise.ReduceSum([1f], 0));
}
