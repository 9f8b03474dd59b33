using Sightline.Metrics;

namespace Sightline.Neurons.Metrics;

/// <summary>
/// Cosine similarity Σaᵢcᵢ / (max(‖a‖₂, 10⁻⁹)·max(‖c‖₂, 10⁻⁹)), no centring (so not shift-invariant, App. E2).
/// One blocked GEMM of the normalised columns: O(n·m·N). Oikarinen, Yan, Weng, ICML 2025 (Table 1).
/// </summary>
[Metric("cosine", MetricFamily.Neuron, ScoreDirection.HigherIsBetter, Order = 14, Minimum = -1, Maximum = 1, Summary = "Cosine similarity of activations and labels.", Citation = "Oikarinen, Yan, Weng, ICML 2025")]
public sealed class Cosine(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>Creates the metric.</summary>
    public static INeuronMetric Create(NeuronMetricOptions options) => new Cosine(options);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe)
    {
        int N = probe.Samples, n = probe.Neurons, m = probe.Concepts;
        var ua = Normalise(probe.ColA, n, N);
        var uc = Normalise(probe.ColC, m, N);
        return new ScoreMatrix(n, m, NeuronKernels.MultiplyColumns(ua, n, uc, m, N));
    }

    private static double[] Normalise(double[] cols, int count, int len)
    {
        var r = new double[cols.Length];
        Parallel.For(0, count, j =>
        {
            var x = cols.AsSpan(j * len, len);
            double norm = Math.Max(System.Numerics.Tensors.TensorPrimitives.Norm(x), 1e-9);
            System.Numerics.Tensors.TensorPrimitives.Divide(x, norm, r.AsSpan(j * len, len));
        });
        return r;
    }
}
