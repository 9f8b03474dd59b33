using Sightline.Statistics;

namespace Sightline.Neurons.Sanity;

/// <summary>Parameters of the theoretical sanity test (Oikarinen, Yan, Weng, ICML 2025, Sec. 4; spec §6).</summary>
public sealed record TheoreticalSanityOptions
{
    /// <summary>ε: a draw counts as a decrease when the normalised Δ &lt; −ε (strict). Default 0.001.</summary>
    public double Epsilon { get; init; } = 0.001;

    /// <summary>Activation frequencies γ. Default 0.499, 0.1, 0.01, 0.001, 0.0001.</summary>
    public IReadOnlyList<double> Frequencies { get; init; } = [0.499, 0.1, 0.01, 0.001, 0.0001];

    /// <summary>N, the number of simulated inputs (the paper uses 500,000).</summary>
    public int Inputs { get; init; } = 500_000;

    /// <summary>Independent perturbation draws (the paper uses 1,000).</summary>
    public int Draws { get; init; } = 1000;

    /// <summary>Seed of the perturbations (and of the sampled metrics, derived per draw).</summary>
    public ulong Seed { get; init; }

    /// <summary>Decrease% threshold of the pass rule (inferred from the paper's figure colouring: 90).</summary>
    public double PassPercent { get; init; } = 90;
}

/// <summary>Result of a sanity test for one metric.</summary>
/// <param name="Metric">The metric name.</param>
/// <param name="MissingDecrease">Decrease% under missing labels (theoretical: mean over γ; experimental: over neurons).</param>
/// <param name="ExtraDecrease">Decrease% under extra labels.</param>
/// <param name="MissingMeanDelta">Mean normalised Δ under missing labels (mean over γ for the theoretical test).</param>
/// <param name="ExtraMeanDelta">Mean normalised Δ under extra labels.</param>
/// <param name="MissingPass">MissingDecrease ≥ the pass threshold.</param>
/// <param name="ExtraPass">ExtraDecrease ≥ the pass threshold.</param>
/// <param name="PerFrequency">Theoretical test only: per γ (Decrease% missing, Decrease% extra, mean Δ missing, mean Δ extra).</param>
/// <param name="MetaAuprc">Experimental test only: Meta-AUPRC of the unperturbed scores (NaN when not computed).</param>
public sealed record SanityResult(string Metric, double MissingDecrease, double ExtraDecrease, double MissingMeanDelta, double ExtraMeanDelta,
    bool MissingPass, bool ExtraPass, IReadOnlyList<(double Gamma, double MissingDecrease, double ExtraDecrease, double MissingDelta, double ExtraDelta)> PerFrequency,
    double MetaAuprc)
{
    /// <summary>Passes both tests.</summary>
    public bool Pass => MissingPass && ExtraPass;
}

/// <summary>
/// The missing-labels and extra-labels sanity tests of Oikarinen, Yan, Weng, ICML 2025 (Sec. 4): an explanation metric should
/// score an ideal neuron lower when concept labels are randomly removed (C⁻ = C ⊙ 1[u &gt; ½]) or added
/// (C⁺ = min(1, C + 1[u′ &lt; n/(N − n)])). Δ = (s(perturbed) − s)/(max − min), Decrease% = 100 × share of Δ &lt; −ε; a metric passes
/// a test when Decrease% ≥ 90. Works for any <see cref="INeuronMetric"/>.
/// </summary>
public static class SanityTests
{
    /// <summary>
    /// The theoretical test (§6): for each γ, n = ⌊γN⌋, an ideal binary neuron a = c = 1[i &lt; n]; per draw fresh C⁻ and C⁺; Δ on the
    /// matched pair; Decrease% per γ and its mean over γ. Metrics run with α disabled (<c>Alpha = 0</c>) and the given λ, ties,
    /// k and compat flags; the range is the metric's declared max − min, or for unbounded metrics (wpmi, mad) max − min over all
    /// entries of S(A,C), S(A,C⁻), S(A,C⁺) of the first draw.
    /// This reproduces the paper's theoretical columns, not its overall verdict (only correlation, cosine, auprc, f1, iou pass),
    /// which also needs the experimental test on real models: wpmi passes the theoretical test (paper: 100/100) and fails only
    /// the experimental extra-labels test. With <see cref="RankTies.Midrank"/> spearman equals correlation on 0/1 data and
    /// passes; <see cref="RankTies.Random"/> with <see cref="NeuronMetricOptions.ReferenceCompat"/> mirrors the reference's
    /// noise tie-breaking and sampling quirk, and then every verdict matches the paper's theoretical columns (spec §5–§8).
    /// </summary>
    public static IReadOnlyList<SanityResult> Theoretical(IReadOnlyList<NeuronMetricDescriptor> metrics, TheoreticalSanityOptions options,
        NeuronMetricOptions? metricOptions = null, IProgress<int>? progress = null)
    {
        var baseOptions = (metricOptions ?? NeuronMetricOptions.Default) with { Alpha = 0 };
        int N = options.Inputs, G = options.Frequencies.Count, D = options.Draws;
        var counts = options.Frequencies.Select(g => (int)Math.Floor(g * N)).ToArray();
        var ideal = counts.Select(c => { var x = new double[N]; for (int i = 0; i < c; i++) x[i] = 1; return x; }).ToArray();
        var ranges = new double[metrics.Count];
        // delta[metric][gamma][draw] for missing (0) / extra (1)
        var deltas = new double[metrics.Count, G, 2, D];
        for (int d = 0; d < D; d++)
        {
            var rng = new SplitMix(SplitMix.Derive(options.Seed, d));
            var missing = new double[G][];
            var extra = new double[G][];
            for (int j = 0; j < G; j++)
            {
                (missing[j], extra[j]) = Perturb(ideal[j], counts[j], ref rng);
            }
            var drawOptions = baseOptions with { Seed = SplitMix.Derive(baseOptions.Seed, d) };
            if (d == 0)
            {
                var full = NeuronProbe.FromColumns(ideal, [.. ideal, .. missing, .. extra]);
                for (int mi = 0; mi < metrics.Count; mi++)
                {
                    double r = metrics[mi].Range;
                    if (!double.IsFinite(r))
                    {
                        var s = metrics[mi].Create(drawOptions).Evaluate(full).Values.Where(double.IsFinite).ToArray();
                        r = s.Length > 0 ? s.Max() - s.Min() : 1;
                        if (r <= 0) r = 1;
                    }
                    ranges[mi] = r;
                }
            }
            for (int j = 0; j < G; j++)
            {
                var probe = NeuronProbe.FromColumns([ideal[j]], [ideal[j], missing[j], extra[j]]);
                for (int mi = 0; mi < metrics.Count; mi++)
                {
                    var s = metrics[mi].Create(drawOptions).Evaluate(probe);
                    deltas[mi, j, 0, d] = (s[0, 1] - s[0, 0]) / ranges[mi];
                    deltas[mi, j, 1, d] = (s[0, 2] - s[0, 0]) / ranges[mi];
                }
            }
            progress?.Report(d + 1);
        }
        var results = new List<SanityResult>();
        for (int mi = 0; mi < metrics.Count; mi++)
        {
            var per = new List<(double, double, double, double, double)>();
            for (int j = 0; j < G; j++)
            {
                double Dec(int p) { int c = 0; for (int d = 0; d < D; d++) if (deltas[mi, j, p, d] < -options.Epsilon) c++; return 100.0 * c / D; }
                double Mean(int p) { double s = 0; for (int d = 0; d < D; d++) s += deltas[mi, j, p, d]; return s / D; }
                per.Add((options.Frequencies[j], Dec(0), Dec(1), Mean(0), Mean(1)));
            }
            double md = per.Average(p => p.Item2), ed = per.Average(p => p.Item3);
            results.Add(new SanityResult(metrics[mi].Name, md, ed, per.Average(p => p.Item4), per.Average(p => p.Item5),
                md >= options.PassPercent, ed >= options.PassPercent, per, double.NaN));
        }
        return results;
    }

    /// <summary>
    /// One draw of the perturbations of a label column c with n positives: missing C⁻ = c ⊙ 1[u &gt; ½]; extra
    /// C⁺ = min(1, c + 1[u′ &lt; n/(N − n)]) (expected positives doubled).
    /// </summary>
    public static (double[] Missing, double[] Extra) Perturb(ReadOnlySpan<double> c, int positives, ref SplitMix rng)
    {
        int N = c.Length;
        var missing = new double[N];
        var extra = new double[N];
        double p = N - positives > 0 ? (double)positives / (N - positives) : 0;
        for (int i = 0; i < N; i++)
        {
            double u = rng.NextDouble(), u2 = rng.NextDouble();
            missing[i] = u > 0.5 ? c[i] : 0;
            extra[i] = Math.Min(1, c[i] + (u2 < p ? 1 : 0));
        }
        return (missing, extra);
    }

    /// <summary>
    /// The experimental test (§9) on real activations and labels: one seeded draw of C⁻ and C⁺ applied to every concept column
    /// (n = the column's count of labels ≥ 0.5); Δ on each neuron's correct pair (<paramref name="correctConcept"/>[k]);
    /// Decrease% = share of neurons with Δ &lt; −ε. Range as in the theoretical test, for unbounded metrics over the full matrices
    /// of original, missing and extra labels. Also reports the Meta-AUPRC of the unperturbed scores (§10).
    /// </summary>
    /// <exception cref="InputDataException">A correct-concept index is out of range.</exception>
    public static IReadOnlyList<SanityResult> Experimental(IReadOnlyList<NeuronMetricDescriptor> metrics, NeuronProbe probe, IReadOnlyList<int> correctConcept,
        NeuronMetricOptions metricOptions, double epsilon = 0.001, ulong seed = 0, double passPercent = 90)
    {
        if (correctConcept.Count != probe.Neurons)
            throw new InputDataException($"The known concepts list has {correctConcept.Count} entries; there are {probe.Neurons} neurons.");
        if (correctConcept.Any(t => t < 0 || t >= probe.Concepts))
            throw new InputDataException($"A known concept index is outside 0..{probe.Concepts - 1}.");
        int N = probe.Samples, m = probe.Concepts, n = probe.Neurons;
        var rng = new SplitMix(seed);
        var miss = new double[m][];
        var extra = new double[m][];
        var cs = probe.ConceptSets();
        for (int t = 0; t < m; t++) (miss[t], extra[t]) = Perturb(probe.ConceptColumn(t), (int)cs.Active[t], ref rng);
        var acols = Enumerable.Range(0, n).Select(k => probe.ActivationColumn(k).ToArray()).ToArray();
        var pMiss = NeuronProbe.FromColumns(acols, miss);
        var pExtra = NeuronProbe.FromColumns(acols, extra);
        var results = new List<SanityResult>();
        foreach (var desc in metrics)
        {
            var metric = desc.Create(metricOptions);
            var s0 = metric.Evaluate(probe);
            var s1 = metric.Evaluate(pMiss);
            var s2 = metric.Evaluate(pExtra);
            double range = desc.Range;
            if (!double.IsFinite(range))
            {
                var all = s0.Values.Concat(s1.Values).Concat(s2.Values).Where(double.IsFinite).ToArray();
                range = all.Length > 0 && all.Max() > all.Min() ? all.Max() - all.Min() : 1;
            }
            int dm = 0, de = 0;
            double sm = 0, se = 0;
            for (int k = 0; k < n; k++)
            {
                int t = correctConcept[k];
                double d1 = (s1[k, t] - s0[k, t]) / range, d2 = (s2[k, t] - s0[k, t]) / range;
                if (d1 < -epsilon) dm++;
                if (d2 < -epsilon) de++;
                sm += d1; se += d2;
            }
            double md = 100.0 * dm / n, ed = 100.0 * de / n;
            results.Add(new SanityResult(desc.Name, md, ed, sm / n, se / n, md >= passPercent, ed >= passPercent, [],
                MetaAuprc.Compute(s0, correctConcept)));
        }
        return results;
    }
}

/// <summary>
/// The known-neuron test (Oikarinen, Yan, Weng, ICML 2025, Sec. 5): for neurons with a known concept (e.g. final-layer class
/// neurons, neuron i ↔ concept i), Meta-AUPRC = AP(flatten(S); flatten(onehot(true concept))) with the average precision of
/// torcheval binary_auprc. It measures how well a metric ranks each neuron's true concept above the wrong pairs.
/// NaN scores are ranked below every number (a port's policy; the reference does not handle NaN).
/// </summary>
public static class MetaAuprc
{
    /// <summary>Meta-AUPRC of the score matrix with <paramref name="trueConcept"/>[k] the known concept of neuron k.</summary>
    public static double Compute(ScoreMatrix scores, IReadOnlyList<int> trueConcept)
    {
        var labels = new bool[scores.Values.Length];
        for (int k = 0; k < scores.Neurons; k++) labels[k * scores.Concepts + trueConcept[k]] = true;
        return NeuronKernels.AveragePrecision(scores.Values, labels);
    }
}
