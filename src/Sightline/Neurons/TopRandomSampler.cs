using Sightline.Statistics;

namespace Sightline.Neurons;

/// <summary>
/// The top-and-random input subset of one neuron (after Bills et al., 2023, as in Oikarinen, Yan, Weng, ICML 2025, §4.1 of the spec):
/// T ‖ R, where R is k indices drawn uniformly without replacement from all N, and T is k indices drawn without replacement
/// from the top ⌈α·N⌉ activations (all of them when fewer than k; no tie expansion, ties ordered by input index) or, for the
/// binary variant, from {i : aᵢ = 1} (all of them with <see cref="NeuronMetricOptions.ReferenceCompat"/>, the reference's quirk).
/// An index in both halves appears twice. The generator is seeded per neuron from <see cref="NeuronMetricOptions.Seed"/>.
/// </summary>
public static class TopRandomSampler
{
    /// <summary>The subset of input indices for neuron <paramref name="neuron"/> with activation column <paramref name="a"/>.</summary>
    public static int[] Sample(ReadOnlySpan<double> a, int neuron, NeuronMetricOptions options, bool binary)
    {
        int n = a.Length, k = options.TopRandomK;
        var rng = new SplitMix(SplitMix.Derive(options.Seed, neuron));
        int[] pool;
        bool takeAll;
        if (binary)
        {
            var ones = new List<int>();
            for (int i = 0; i < n; i++) if (a[i] == 1) ones.Add(i);
            pool = [.. ones];
            takeAll = options.ReferenceCompat || pool.Length <= k;
        }
        else
        {
            int top = (int)Math.Min(n, Math.Ceiling(options.TopRandomAlpha * n));
            var cand = top > 0 ? NeuronProbe.TopAlpha(a, (double)top / n) : [];
            var arr = a.ToArray();
            pool = [.. cand.OrderByDescending(i => arr[i]).ThenBy(i => i).Take(top)];
            takeAll = pool.Length <= k;
        }
        var result = new List<int>((int)Math.Min(Array.MaxLength, 2L * Math.Min(k, n) + (takeAll ? pool.Length : 0))); // k may exceed N (--k 2147483647)
        if (takeAll) result.AddRange(pool);
        else result.AddRange(Draw(pool.Length, k, ref rng).Select(i => pool[i]));
        result.AddRange(Draw(n, Math.Min(k, n), ref rng));
        return [.. result];
    }

    // k distinct integers in [0, n), uniformly (partial Fisher–Yates over a sparse map), in draw order.
    private static IEnumerable<int> Draw(int n, int k, ref SplitMix rng)
    {
        var swapped = new Dictionary<int, int>();
        var outList = new int[k];
        for (int j = 0; j < k; j++)
        {
            int r = j + rng.NextInt(n - j);
            int vr = swapped.TryGetValue(r, out var x) ? x : r;
            int vj = swapped.TryGetValue(j, out var y) ? y : j;
            swapped[r] = vj;
            outList[j] = vr;
        }
        return outList;
    }
}

/// <summary>
/// Base of the top-and-random variants: per neuron one subset (<see cref="TopRandomSampler"/>) shared by all its concepts, then
/// the reference correlation or spearman (ranks within the subset) of a and c on it; a 50-input subset scales correlation by
/// 49/50. Cost O(n·(N + m·k log k)). Oikarinen, Yan, Weng, ICML 2025; Bills et al. 2023.
/// </summary>
public abstract class TopRandomMetric(NeuronMetricOptions options, bool binary, bool ranks) : NeuronMetric(options)
{
    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe)
    {
        int n = probe.Neurons, m = probe.Concepts;
        var v = new double[n * m];
        Parallel.For(0, n, k =>
        {
            var subset = TopRandomSampler.Sample(probe.ActivationColumn(k), k, Options, binary);
            int L = subset.Length;
            var a = new double[L];
            var c = new double[L];
            var ra = new double[L];
            var rc = new double[L];
            var col = probe.ActivationColumn(k);
            for (int j = 0; j < L; j++) a[j] = col[subset[j]];
            SplitMix? rng = Options.Ties == RankTies.Random ? new SplitMix(SplitMix.Derive(Options.Seed ^ 0xABCDEFul, k)) : null;
            if (ranks) NeuronKernels.Ranks(a, ra, rng);
            for (int t = 0; t < m; t++)
            {
                var ct = probe.ConceptColumn(t);
                for (int j = 0; j < L; j++) c[j] = ct[subset[j]];
                if (ranks)
                {
                    NeuronKernels.Ranks(c, rc, rng);
                    v[k * m + t] = NeuronKernels.ReferenceCorrelation(ra, rc);
                }
                else v[k * m + t] = NeuronKernels.ReferenceCorrelation(a, c);
            }
        });
        return new ScoreMatrix(n, m, v);
    }
}
