namespace Sightline.Neurons;

/// <summary>How rank-based neuron metrics (spearman, auc, inverse_auc and the spearman variants) treat tied values.</summary>
public enum RankTies
{
    /// <summary>Midranks: tied values share the mean of their 0-based positions (deterministic; exact Mann–Whitney AUC).
    /// This is the default. The reference instead adds 10⁻⁷·U[0,1) noise in float32 (Oikarinen et al. 2025, code), see
    /// <see cref="Random"/>.</summary>
    Midrank,
    /// <summary>A seeded uniform random permutation within each tie group: approximates the reference's noise tie-breaking,
    /// which is what makes spearman fail the paper's theoretical sanity test.</summary>
    Random,
}

/// <summary>
/// Parameters of the neuron-explanation metrics, with the defaults of Oikarinen, Yan, Weng, "Evaluating Neuron
/// Explanations: A Unified Framework with Sanity Checks", ICML 2025 (code Trustworthy-ML-Lab/Neuron_Eval).
/// </summary>
public sealed record NeuronMetricOptions
{
    /// <summary>Default options (α = the metric's own default, λ = 1, k = 25, T&amp;R α = 0.002, seed 0, midranks).</summary>
    public static NeuronMetricOptions Default { get; } = new();

    /// <summary>Top-α fraction that binarises each neuron: k = ⌈α·N⌉, Âᵢ = 1[aᵢ ≥ k-th largest] (ties at the cut-off included).
    /// Null = the metric's default (0.01 for iou, the only metric with a default; disabled for the others).
    /// 0 disables binarisation: Â = a (raw weights), as the reference's "false" sentinel does.</summary>
    public double? Alpha { get; init; }

    /// <summary>λ of wpmi: wpmi = mean over active inputs of ln max(c, 10⁻⁸) − λ·ln c̄. Default 1.</summary>
    public double Lambda { get; init; } = 1;

    /// <summary>k of the top-and-random sampled variants (k top plus k random inputs per neuron). Default 25.</summary>
    public int TopRandomK { get; init; } = 25;

    /// <summary>α of the continuous top-and-random variants: the top set is the ⌈α·N⌉ largest activations. Default 0.002.</summary>
    public double TopRandomAlpha { get; init; } = 0.002;

    /// <summary>Seed of the top-and-random draws and of <see cref="RankTies.Random"/>.</summary>
    public ulong Seed { get; init; }

    /// <summary>Reproduce the reference's sampling quirk in the binary top-and-random variants: all active inputs plus k random
    /// (instead of k drawn from the active inputs plus k random).</summary>
    public bool ReferenceCompat { get; init; }

    /// <summary>Tie treatment of rank-based metrics. Default <see cref="RankTies.Midrank"/>.</summary>
    public RankTies Ties { get; init; } = RankTies.Midrank;

    /// <summary>The α actually used: <paramref name="metricDefault"/> when <see cref="Alpha"/> is null; null when disabled (0 or null default).</summary>
    public double? EffectiveAlpha(double? metricDefault = null)
    {
        var a = Alpha ?? metricDefault;
        return a is null or 0 ? null : a;
    }
}
