namespace Sightline.Neurons;

/// <summary>
/// Base of the set metrics, which are functions of the confusion counts of one neuron–concept pair (Oikarinen, Yan, Weng,
/// ICML 2025, Table 1): TP = ΣÂᵢĈᵢ (computed for all pairs at once as bit-packed popcounts of Âᵀ·Ĉ), n₁ = ΣÂᵢ, n₀ = N − n₁,
/// m₁ = ΣĈᵢ, m₀ = N − m₁, FP = n₁ − TP, FN = m₁ − TP, TN = N − n₁ − m₁ + TP. With α disabled Â = a (raw weights).
/// </summary>
public abstract class SetMetric(NeuronMetricOptions options) : NeuronMetric(options)
{
    /// <summary>The metric's default α when <see cref="NeuronMetricOptions.Alpha"/> is null (null = disabled).</summary>
    protected virtual double? DefaultAlpha => null;

    /// <summary>The score from the counts.</summary>
    protected abstract double Formula(double tp, double n1, double m1, double n);

    /// <inheritdoc/>
    public override ScoreMatrix Evaluate(NeuronProbe probe)
    {
        var alpha = Options.EffectiveAlpha(DefaultAlpha);
        var ns = probe.BinaryNeuronSets(alpha, Name);
        var tp = probe.TruePositives(alpha);
        var cs = probe.ConceptSets();
        int m = probe.Concepts;
        var v = new double[tp.Length];
        for (int k = 0; k < probe.Neurons; k++)
            for (int t = 0; t < m; t++)
                v[k * m + t] = Formula(tp[k * m + t], ns.Active[k], cs.Active[t], probe.Samples);
        return new ScoreMatrix(probe.Neurons, m, v);
    }
}
