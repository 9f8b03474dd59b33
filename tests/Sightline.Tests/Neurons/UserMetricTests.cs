using Sightline.Metrics;
using Sightline.Neurons;
using Sightline.Neurons.Sanity;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Neurons;

/// <summary>
/// A user-defined metric for the registration tests: the weighted Jaccard (Ruzicka) similarity Σ min(aᵢ, cᵢ) / Σ max(aᵢ, cᵢ)
/// of non-negative activations and soft labels; 0/0 gives NaN.
/// </summary>
[Metric("test_weighted_jaccard", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Summary = "Weighted Jaccard (test metric).", Citation = "Ružička 1958")]
public sealed class TestWeightedJaccard(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new TestWeightedJaccard(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe)
    {
        var v = new double[probe.Neurons * probe.Concepts];
        for (int k = 0; k < probe.Neurons; k++)
        {
            var a = probe.ActivationColumn(k);
            for (int t = 0; t < probe.Concepts; t++)
            {
                var c = probe.ConceptColumn(t);
                double lo = 0, hi = 0;
                for (int i = 0; i < a.Length; i++) { lo += Math.Min(a[i], c[i]); hi += Math.Max(a[i], c[i]); }
                v[k * probe.Concepts + t] = lo / hi;
            }
        }
        return new ScoreMatrix(probe.Neurons, probe.Concepts, v);
    }
}

public sealed class UserMetricTests
{
    [Fact]
    public void A_registered_user_metric_is_found_by_name_and_sanity_tested_from_code()
    {
        var d = NeuronMetricRegistry.Register(typeof(TestWeightedJaccard));
        Assert.Same(d, NeuronMetricRegistry.Register(typeof(TestWeightedJaccard)));
        Assert.Equal(typeof(TestWeightedJaccard), NeuronMetricRegistry.Get("test_weighted_jaccard").Type);
        Assert.Contains(NeuronMetricRegistry.Parse("all"), x => x.Name == "test_weighted_jaccard");
        // Missing labels: Σmin = |c⁻| ≈ n/2 over Σmax = n; extra labels: n over ≈ 2n. Both halve the score: passes.
        var r = SanityTests.Theoretical([d], new TheoreticalSanityOptions { Inputs = 200_000, Draws = 5 }).Single();
        Assert.True(r.Pass);
        Assert.Equal(-0.5, r.PerFrequency[0].MissingDelta, 0.02);
        Assert.Equal(-0.5, r.PerFrequency[0].ExtraDelta, 0.02);
    }

    [Fact]
    public void Invalid_metric_classes_and_taken_names_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => NeuronMetricRegistry.Register(typeof(string)));
        Assert.Throws<ArgumentException>(() => NeuronMetricRegistry.Register(typeof(DuplicateIou)));
    }

    [Fact]
    public void The_cli_loads_a_metric_assembly_for_score_and_sanity()
    {
        using var dir = new TempDir();
        var asm = typeof(TestWeightedJaccard).Assembly.Location;
        var a = new float[] { 1, 0, 1, 0 };
        var c = new float[] { 1, 0, 0, 0 };
        Sightline.IO.Npy.Write<float>(dir.File("a.npy"), a, 4, 1);
        Sightline.IO.Npy.Write<float>(dir.File("c.npy"), c, 4, 1);
        var (code, _, err) = CliRunner.Run("neurons", "score", "--activations", dir.File("a.npy"), "--concepts", dir.File("c.npy"),
            "--metric-assembly", asm, "--metrics", "test_weighted_jaccard", "--out", dir.File("s.csv"));
        Assert.True(code == 0, err);
        Assert.Equal("0,0,test_weighted_jaccard,0.5,", File.ReadAllLines(dir.File("s.csv"))[1]);
        (code, _, err) = CliRunner.Run("neurons", "sanity", "--metric-assembly", asm, "--metrics", "test_weighted_jaccard",
            "--inputs", "200000", "--draws", "3", "--out", dir.File("t.csv"));
        Assert.True(code == 0, err);
        Assert.StartsWith("test_weighted_jaccard,true,true,", File.ReadAllLines(dir.File("t.csv"))[1]);
        (code, _, err) = CliRunner.Run("neurons", "sanity", "--metric-assembly", dir.File("nope.dll"), "--out", dir.File("t.csv"));
        Assert.Equal(2, code);
        Assert.Contains("nope.dll", err);
    }
}

/// <summary>Not registrable: reuses the name of a core metric.</summary>
[Metric("iou", MetricFamily.Neuron, ScoreDirection.HigherIsBetter)]
internal sealed class DuplicateIou(NeuronMetricOptions options) : NeuronMetric(options)
{
    public static INeuronMetric Create(NeuronMetricOptions options) => new DuplicateIou(options);

    public override ScoreMatrix Evaluate(NeuronProbe probe) => ScoreMatrix.Zeros(probe.Neurons, probe.Concepts);
}
