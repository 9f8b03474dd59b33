namespace Sightline.Neurons;

/// <summary>Why a neuron score is undefined (NaN) or infinite, for the <c>reason</c> column of result tables.</summary>
public static class NeuronScoreReasons
{
    /// <summary>A one-line reason for the non-finite <paramref name="value"/> of pair (k, t); null when the value is finite.</summary>
    public static string? Explain(NeuronProbe probe, NeuronMetricDescriptor metric, NeuronMetricOptions options, int neuron, int concept, double value)
    {
        if (double.IsFinite(value)) return null;
        if (double.IsPositiveInfinity(value) && metric.Name == "wpmi") return $"concept {concept} is all zero: ln(mean c) = −∞";
        double m1 = probe.ConceptSets().Active[concept];
        double? alpha = options.EffectiveAlpha(metric.Name == "iou" ? 0.01 : null);
        double n1 = probe.NeuronSets(alpha).Active[neuron];
        if (m1 == 0 && n1 == 0) return $"neuron {neuron} has no active inputs and concept {concept} has no positive labels (0/0)";
        if (m1 == 0) return $"concept {concept} has no positive labels (c ≥ 0.5)";
        if (n1 == 0) return $"neuron {neuron} has no active inputs";
        return "undefined: 0/0 (harmonic mean of two zeros or an empty set)";
    }
}
