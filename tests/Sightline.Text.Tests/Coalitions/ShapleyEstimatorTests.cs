using Sightline.Text.Coalitions;

namespace Sightline.Text.Tests.Coalitions;

public sealed class ShapleyEstimatorTests
{
    [Fact]
    public void Normalisation_example_from_the_spec()
    {
        var psi = ShapleyEstimator.Normalise([-1, 1, 3]);
        Assert.Equal([0, 1.0 / 3, 2.0 / 3], psi, new Tolerance(1e-15));
    }

    [Fact]
    public void Normalised_values_sum_to_one_with_a_zero_minimum() =>
        Gen.Double[-10, 10].Array[2, 20].Sample(phi =>
        {
            var psi = ShapleyEstimator.Normalise(phi);
            Assert.Equal(1.0, psi.Sum(), 1e-9);
            // The least important player gets 0, unless every φ is equal (then 1/n each).
            Assert.Equal(phi.Distinct().Count() == 1 ? 1.0 / phi.Length : 0.0, psi.Min(), 12);
            Assert.All(psi, p => Assert.InRange(p, 0, 1));
        });

    [Fact]
    public void Equal_phi_gives_one_over_n() =>
        Assert.All(ShapleyEstimator.Normalise([0.3, 0.3, 0.3, 0.3]), p => Assert.Equal(0.25, p));

    [Fact]
    public void A_nan_phi_invalidates_the_whole_explanation() =>
        Assert.All(ShapleyEstimator.Normalise([0.1, double.NaN, 0.3]), p => Assert.True(double.IsNaN(p)));

    [Fact]
    public void Leave_one_out_closed_form_example_from_the_spec()
    {
        var phi = ShapleyEstimator.LeaveOneOutPhi([.2, .5, .8]);
        Assert.Equal([.45, 0, -.45], phi, new Tolerance(1e-12));
        Assert.Equal([2.0 / 3, 1.0 / 3, 0], ShapleyEstimator.Normalise(phi), new Tolerance(1e-12));
    }

    [Fact]
    public void The_estimator_over_essentials_only_equals_the_closed_form() =>
        Gen.Double[0, 1].Array[2, 12].Sample(s =>
        {
            int n = s.Length;
            var essentials = CoalitionSampler.Essentials(n);
            var phi = ShapleyEstimator.Phi(n, [.. essentials.Select(c => c.Present)], [.. s.Select(v => (double?)v)]);
            Assert.Equal(ShapleyEstimator.LeaveOneOutPhi(s), phi, new Tolerance(1e-12));
        });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void An_additive_game_gives_the_normalised_weights_with_essentials_only_or_the_whole_pool(bool wholePool)
    {
        double[] w = [.1, .3, .6];
        var coalitions = CoalitionSampler.Essentials(3);
        if (wholePool) coalitions.AddRange(CoalitionSampler.Random(3, CoalitionSampler.Pool(3), 0));
        var values = coalitions.Select(c => (double?)Enumerable.Range(0, 3).Where(i => c.Present[i]).Sum(i => w[i])).ToArray();
        var psi = ShapleyEstimator.Normalise(ShapleyEstimator.Phi(3, [.. coalitions.Select(c => c.Present)], values));
        Assert.Equal([0, 0.2857142857142857, 0.7142857142857143], psi, new Tolerance(1e-12));
    }

    [Fact]
    public void With_every_coalition_an_additive_game_recovers_the_exact_shapley_ranking_and_the_closed_form() =>
        Gen.Double[0, 1].Array[3, 9].Sample(w =>
        {
            int n = w.Length;
            // All coalitions with 1 ≤ |C| ≤ n − 1: essentials plus the whole random pool (a symmetric multiset).
            var coalitions = CoalitionSampler.Essentials(n);
            coalitions.AddRange(CoalitionSampler.Random(n, CoalitionSampler.Pool(n), 0));
            Assert.Equal((1 << n) - 2, coalitions.Count);
            var values = coalitions.Select(c => (double?)Enumerable.Range(0, n).Where(i => c.Present[i]).Sum(i => w[i])).ToArray();
            var psi = ShapleyEstimator.Normalise(ShapleyEstimator.Phi(n, [.. coalitions.Select(c => c.Present)], values));
            // The exact Shapley value of an additive game is wᵢ itself, so ψ must be its min-shift-and-sum normalisation:
            // the weights' ranking, and the §2 closed form on the leave-one-out values sⱼ = W − wⱼ.
            var expected = ShapleyEstimator.Normalise(w);
            Assert.Equal(expected, psi, new Tolerance(1e-9));
            var s = w.Select(x => w.Sum() - x).ToArray();
            Assert.Equal(ShapleyEstimator.Normalise(ShapleyEstimator.LeaveOneOutPhi(s)), psi, new Tolerance(1e-9));
            var order = Enumerable.Range(0, n).OrderBy(i => w[i]).ThenBy(i => i).ToArray();
            for (int j = 1; j < n; j++) Assert.True(psi[order[j]] >= psi[order[j - 1]] - 1e-12);
        });

    [Fact]
    public void The_leave_one_out_psi_is_the_gap_to_the_largest_s_over_the_sum_of_gaps() =>
        // Spec §2 closed form: ψᵢ = (s_max − sᵢ)/Σₖ(s_max − sₖ), from the estimator over the essentials alone.
        Gen.Double[0, 1].Array[2, 12].Where(s => s.Distinct().Count() > 1).Sample(s =>
        {
            int n = s.Length;
            var phi = ShapleyEstimator.Phi(n, [.. CoalitionSampler.Essentials(n).Select(c => c.Present)], [.. s.Select(v => (double?)v)]);
            double max = s.Max(), gaps = s.Sum(v => max - v);
            Assert.Equal(s.Select(v => (max - v) / gaps).ToArray(), ShapleyEstimator.Normalise(phi), new Tolerance(1e-9));
        });

    [Fact]
    public void An_additive_game_over_any_symmetric_coalition_multiset_gives_the_normalised_weights() =>
        // Spec §12.3 "any symmetric coalition multiset": every coalition of the chosen sizes, each size layer complete
        // (and a layer may be taken twice). Over a complete layer of size k, with-minus-without is
        // wᵢ − (W − wᵢ)/(n − 1), an increasing affine map of wᵢ, so ψᵢ = (wᵢ − w_min)/Σₖ(wₖ − w_min) whatever the layers.
        // Weights on a 0.01 grid, not all equal: near-ties would make ψ a ratio of rounding errors.
        Gen.Select(Gen.Int[0, 100].Array[3, 8].Where(a => a.Distinct().Count() > 1).Select(a => a.Select(x => x / 100.0).ToArray()), Gen.Int[1, 255], Gen.Int[0, 255]).Sample((w, layers, twice) =>
        {
            int n = w.Length;
            var sizes = Enumerable.Range(1, n - 1).Where(k => (layers >> (k - 1) & 1) == 1).ToList();
            if (sizes.Count == 0) sizes.Add(n - 1);
            var coalitions = new List<bool[]>();
            foreach (var k in sizes)
                for (int mask = 1; mask < (1 << n) - 1; mask++)
                    if (System.Numerics.BitOperations.PopCount((uint)mask) == k)
                    {
                        var c = Enumerable.Range(0, n).Select(i => (mask >> i & 1) == 1).ToArray();
                        coalitions.Add(c);
                        if ((twice >> (k - 1) & 1) == 1) coalitions.Add(c);
                    }
            var values = coalitions.Select(c => (double?)Enumerable.Range(0, n).Where(i => c[i]).Sum(i => w[i])).ToArray();
            var psi = ShapleyEstimator.Normalise(ShapleyEstimator.Phi(n, coalitions, values));
            double min = w.Min(), total = w.Sum(x => x - min);
            Assert.Equal(w.Select(x => (x - min) / total).ToArray(), psi, new Tolerance(1e-9));
        });

    [Fact]
    public void An_asymmetric_multiset_breaks_the_additive_recovery()
    {
        // The control of the test above: the oracle is not vacuous. Drop one coalition of a complete layer and the
        // with-minus-without difference is no longer an affine map of the weights.
        double[] w = [.1, .3, .6, .2];
        var coalitions = new List<bool[]> { new[] { true, true, false, false }, new[] { true, false, true, false }, new[] { true, false, false, true },
            new[] { false, true, true, false }, new[] { false, true, false, true } }; // size 2 without {2, 3}
        var values = coalitions.Select(c => (double?)Enumerable.Range(0, 4).Where(i => c[i]).Sum(i => w[i])).ToArray();
        var psi = ShapleyEstimator.Normalise(ShapleyEstimator.Phi(4, coalitions, values));
        Assert.NotEqual(ShapleyEstimator.Normalise(w), psi, new Tolerance(1e-6));
    }

    [Fact]
    public void Skipped_coalitions_count_on_neither_side()
    {
        var coalitions = CoalitionSampler.Essentials(3).Select(c => c.Present).ToList();
        coalitions.Add([true, false, false]);
        var withSkip = ShapleyEstimator.Phi(3, coalitions, [.2, .5, .8, null]);
        Assert.Equal(ShapleyEstimator.LeaveOneOutPhi([.2, .5, .8]), withSkip, new Tolerance(1e-12));
    }

    [Fact]
    public void An_empty_side_gives_nan()
    {
        var phi = ShapleyEstimator.Phi(2, [[false, true]], [0.5]);
        Assert.True(double.IsNaN(phi[0]) && double.IsNaN(phi[1]));
    }

    private sealed class Tolerance(double eps) : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= eps;
        public int GetHashCode(double obj) => 0;
    }
}
