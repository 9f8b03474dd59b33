using Sightline.Metrics;

namespace Sightline.Tests.Metrics;

public sealed class RankingTests
{
    [Fact]
    public void Radix_order_equals_a_stable_comparison_sort_with_ties_negatives_and_nan()
    {
        Gen.Select(Gen.Int[0, 6], Gen.Int[1, 400], Gen.Int[0, 1000]).Sample((levels, n, seed) =>
        {
            var rng = new Random(seed);
            var values = new float[n];
            for (int i = 0; i < n; i++)
            {
                values[i] = levels == 0 ? (float)(rng.NextDouble() * 200 - 100) : rng.Next(levels) - 2.5f;
                if (rng.Next(50) == 0) values[i] = float.NaN;
                if (rng.Next(60) == 0) values[i] = -0f;
                if (rng.Next(60) == 0) values[i] = 0f;
            }
            var order = new int[n];
            Ranking.DescendingStableOrder(values, order, new ulong[2 * n]);
            var want = Enumerable.Range(0, n)
                .OrderBy(i => float.IsNaN(values[i]) ? 1 : 0)
                .ThenByDescending(i => float.IsNaN(values[i]) ? 0 : values[i] == 0 ? 0f : values[i]) // −0 ties with +0 (NumPy)
                .ThenBy(i => i).ToArray();
            Assert.Equal(want, order);
        });
    }
}
