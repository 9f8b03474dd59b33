using Sightline.Evaluation;

namespace Sightline.Metrics.Robustness;

/// <summary>Options of <see cref="Consistency"/> (Quantus <c>Consistency</c>'s defaults; <c>top_n</c> is the n of its <c>top_n_sign</c> discretisation).</summary>
public sealed record ConsistencyOptions : MetricOptions
{
    /// <summary>Quantus's defaults: normalise, then |a|.</summary>
    public ConsistencyOptions() => Abs = true;

    /// <summary>How many of the largest |a| define the discretised explanation (Quantus <c>top_n_sign</c>'s n, default 5).</summary>
    public int TopN { get; init; } = 5;
}

/// <summary>
/// Consistency (Dasgupta, Frost &amp; Moshkovitz, "Framework for Evaluating Faithfulness of Local Explanations", ICML
/// 2022): explanations are discretised, and for sample i the score is the share of the other samples j ≠ i of the batch
/// with the same discretised explanation whose predicted class equals i's:
/// |{j ≠ i : e(j) = e(i), ŷ(j) = ŷ(i)}| / |{j ≠ i : e(j) = e(i)}|, ŷ = argmax of the model's output. Higher is better; the
/// score depends on the batch (<see cref="MetricNeeds.WholeBatch"/>): the pipeline must hand the metric every sample that
/// is to be compared at once. Quantus defaults: discretise_func top_n_sign (n = 5), normalise true, abs true, softmax true
/// (irrelevant to an argmax).
/// <para>
/// Discretisation (spec §8 row 11): Quantus's <c>top_n_sign</c> hashes np.sign(a)[:5], the signs of the first five values
/// of the flattened map, which says nothing about where the explanation is (with abs true they are all +1 or 0, so almost
/// every map gets the same label). Sightline discretises by the signs of the top-n |a|: e(i) = the set of (flat index,
/// sign) of the n values of largest |a| (after normalisation and |·|; ties by ascending index, as every rank metric here),
/// so two explanations are equal when they put their n strongest features in the same places with the same signs. n is
/// clamped to the map's size.
/// </para>
/// NaN: no other sample has i's discretised explanation (<see cref="Reasons.NoPeers"/>; Quantus divides 0 by 0 there),
/// a non-finite map (<see cref="Reasons.NonFiniteMap"/>, and such a map matches no other).
/// </summary>
[Metric("consistency", MetricFamily.Robustness, ScoreDirection.HigherIsBetter, Order = 5, Minimum = 0, Maximum = 1,
    Needs = MetricNeeds.Model | MetricNeeds.WholeBatch, TakesAbsolute = true, Cost = "1",
    Summary = "Share of samples with the same discretised explanation (signs of the top-n |a|) that get the same prediction.",
    Citation = "Dasgupta et al., Framework for Evaluating Faithfulness of Local Explanations, ICML 2022")]
public sealed class Consistency(ConsistencyOptions options) : EvaluationMetric<ConsistencyOptions>(options)
{
    /// <summary>
    /// The discretised explanation of <paramref name="a"/>: the flat indices of its <paramref name="n"/> largest |a| (ties
    /// by ascending index) in ascending order, each encoded as 2·index + (a &lt; 0 ? 1 : 0) (a zero counts as
    /// non-negative, as the sign 0 differs from −1 only when a value is exactly 0).
    /// </summary>
    public static long[] Discretise(ReadOnlySpan<float> a, int n)
    {
        n = Math.Clamp(n, 0, a.Length);
        var magnitude = new float[a.Length];
        for (int j = 0; j < a.Length; j++) magnitude[j] = Math.Abs(a[j]);
        var order = Perturbation.DescendingOrder(magnitude);
        var key = new long[n];
        for (int t = 0; t < n; t++)
        {
            int j = order[t];
            key[t] = 2L * j + (a[j] < 0 ? 1 : 0);
        }
        Array.Sort(key);
        return key;
    }

    /// <inheritdoc/>
    public override void Evaluate(EvaluationBatch batch, MetricOutput output)
    {
        var o = Settings;
        Reexplanation.RequirePositive(o.TopN, Name, "top_n");
        int n = batch.Count, asize = batch.Shape.AttributionValues;
        var a = batch.Prepared(Preprocessing);
        var pred = Reexplanation.Predictions(batch, Name);
        var keys = new string?[n];
        for (int i = 0; i < n; i++)
        {
            var ai = a.AsSpan(i * asize, asize);
            if (Reexplanation.AllFinite(ai)) keys[i] = string.Join(",", Discretise(ai, o.TopN));
        }
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++)
            if (keys[i] is { } k)
            {
                if (!groups.TryGetValue(k, out var list)) groups[k] = list = [];
                list.Add(i);
            }
        for (int i = 0; i < n; i++)
        {
            if (keys[i] is not { } k) { output.Set(i, Score.Undefined(Reasons.NonFiniteMap)); continue; }
            var peers = groups[k];
            if (peers.Count < 2) { output.Set(i, Score.Undefined(Reasons.NoPeers)); continue; }
            int same = 0;
            foreach (var j in peers) if (j != i && pred[j] == pred[i]) same++;
            output.Set(i, new Score((double)same / (peers.Count - 1)));
        }
    }
}
