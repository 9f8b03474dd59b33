using System.Numerics.Tensors;

namespace Sightline.Evaluation;

/// <summary>
/// Pieces the perturbation metrics share (Quantus §6): baseline values, the stable attribution order, broadcasting a
/// map to the input's shape, reading a model output with or without softmax.
/// </summary>
public static class Perturbation
{
    /// <summary>
    /// The constant a baseline replaces features with for input <paramref name="x"/>: Black = min(x), White = max(x),
    /// Mean = mean(x), Zero = 0 (Quantus's <c>perturb_baseline</c>: "black" is the sample's minimum, not 0). Uniform has no
    /// constant: use <see cref="Fill"/>.
    /// </summary>
    public static float Constant(PerturbBaseline baseline, ReadOnlySpan<float> x) => baseline switch
    {
        PerturbBaseline.Black => x.IsEmpty ? 0 : TensorPrimitives.Min(x),
        PerturbBaseline.White => x.IsEmpty ? 0 : TensorPrimitives.Max(x),
        PerturbBaseline.Mean => x.IsEmpty ? 0 : (float)(Numerics.Kernels.SumAsDouble(x) / x.Length),
        PerturbBaseline.Zero => 0,
        _ => throw new ArgumentException("A uniform baseline has no constant value; use Perturbation.Fill.", nameof(baseline)),
    };

    /// <summary>
    /// Replaces <paramref name="row"/>[i] for every i in <paramref name="indices"/> with the baseline: the constant of
    /// <see cref="Constant"/>, or U(0, 1) draws from <paramref name="random"/> for <see cref="PerturbBaseline.Uniform"/>.
    /// <paramref name="x"/> is the unperturbed input the constant is computed from.
    /// </summary>
    public static void Fill(Span<float> row, ReadOnlySpan<int> indices, PerturbBaseline baseline, ReadOnlySpan<float> x, Random? random)
    {
        if (baseline == PerturbBaseline.Uniform)
        {
            var rng = random ?? throw new ArgumentNullException(nameof(random), "A uniform baseline needs a seeded generator.");
            foreach (var i in indices) row[i] = (float)rng.NextDouble();
            return;
        }
        float v = Constant(baseline, x);
        foreach (var i in indices) row[i] = v;
    }

    /// <summary>
    /// The indices of <paramref name="a"/> ordered by descending value, ties by ascending index (spec §8 row 8: Quantus's
    /// unstable <c>argsort(−a)</c> makes tied attributions implementation-dependent). NaN sorts last.
    /// </summary>
    public static int[] DescendingOrder(ReadOnlySpan<float> a)
    {
        var keys = new float[a.Length];
        var order = new int[a.Length];
        for (int i = 0; i < a.Length; i++) { keys[i] = float.IsNaN(a[i]) ? float.PositiveInfinity : -a[i]; order[i] = i; }
        // Array.Sort is introspective (unstable); the index tiebreak makes the result unique. −0 and +0 tie, as in NumPy.
        Array.Sort(order, (p, q) =>
        {
            float kp = keys[p] == 0 ? 0 : keys[p], kq = keys[q] == 0 ? 0 : keys[q];
            int c = kp.CompareTo(kq);
            return c != 0 ? c : p.CompareTo(q);
        });
        return order;
    }

    /// <summary>The indices of <paramref name="a"/> by ascending value, ties by ascending index.</summary>
    public static int[] AscendingOrder(ReadOnlySpan<float> a)
    {
        var order = new int[a.Length];
        var keys = a.ToArray();
        for (int i = 0; i < order.Length; i++) order[i] = i;
        Array.Sort(order, (p, q) =>
        {
            float kp = keys[p] == 0 ? 0 : keys[p], kq = keys[q] == 0 ? 0 : keys[q];
            int c = kp.CompareTo(kq);
            return c != 0 ? c : p.CompareTo(q);
        });
        return order;
    }

    /// <summary>
    /// Writes attribution <paramref name="a"/> (A×H×W, A = 1 or C) broadcast to C×H×W into <paramref name="output"/>
    /// (Quantus counts features after broadcasting e to x's shape, so a 1-channel map on an RGB image has d = 3·H·W).
    /// </summary>
    public static void Broadcast(ReadOnlySpan<float> a, EvaluationShape shape, Span<float> output)
    {
        if (shape.AttributionChannels == shape.Channels) { a.CopyTo(output); return; }
        for (int c = 0; c < shape.Channels; c++) a[..shape.Pixels].CopyTo(output.Slice(c * shape.Pixels, shape.Pixels));
    }

    /// <summary>
    /// The model output a metric reads from one row of logits: the target's logit, or its softmax probability when
    /// <paramref name="softmax"/> (Quantus's per-metric <c>softmax</c> flag), in float64.
    /// </summary>
    public static double Output(ReadOnlySpan<float> logits, int target, bool softmax)
    {
        if (!softmax) return logits[target];
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v);
        double sum = 0;
        foreach (var v in logits) sum += Math.Exp(v - max);
        return Math.Exp(logits[target] - max) / sum;
    }

    /// <summary>Index of the largest logit (the predicted class; first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<float> logits) => TensorPrimitives.IndexOfMax(logits);
}

/// <summary>
/// Similarity and correlation of two vectors as Quantus's <c>similarity_func</c> options define them, in float64:
/// Pearson r, Spearman ρ (Pearson of average ranks), Kendall τ-b, cosine. Undefined values (a constant vector) are NaN.
/// </summary>
public static class Similarity
{
    /// <summary>Pearson correlation; NaN when either vector is constant or the lengths differ from each other.</summary>
    public static double Pearson(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("Vectors of different lengths.");
        int n = x.Length;
        if (n < 2) return double.NaN;
        double mx = 0, my = 0;
        for (int i = 0; i < n; i++) { mx += x[i]; my += y[i]; }
        mx /= n; my /= n;
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++)
        {
            double dx = x[i] - mx, dy = y[i] - my;
            sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
        }
        if (sxx == 0 || syy == 0) return double.NaN;
        return Math.Clamp(sxy / Math.Sqrt(sxx * syy), -1, 1);
    }

    /// <summary>Spearman ρ: Pearson of the average ranks (ties share their mean rank, as SciPy's <c>spearmanr</c>).</summary>
    public static double Spearman(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => Pearson(Ranks(x), Ranks(y));

    /// <summary>Kendall τ-b (SciPy's default <c>kendalltau</c>), O(n²); NaN when either vector is constant.</summary>
    public static double Kendall(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        if (x.Length != y.Length) throw new ArgumentException("Vectors of different lengths.");
        long concordant = 0, discordant = 0, tx = 0, ty = 0;
        for (int i = 0; i < x.Length; i++)
            for (int j = i + 1; j < x.Length; j++)
            {
                int sx = Math.Sign(x[i] - x[j]), sy = Math.Sign(y[i] - y[j]);
                if (sx == 0 && sy == 0) continue;
                if (sx == 0) { tx++; continue; }
                if (sy == 0) { ty++; continue; }
                if (sx == sy) concordant++; else discordant++;
            }
        double denom = Math.Sqrt((double)(concordant + discordant + tx) * (concordant + discordant + ty));
        return denom == 0 ? double.NaN : (concordant - discordant) / denom;
    }

    /// <summary>Cosine similarity; NaN when either vector is zero.</summary>
    public static double Cosine(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        double xy = 0, xx = 0, yy = 0;
        for (int i = 0; i < x.Length; i++) { xy += x[i] * y[i]; xx += x[i] * x[i]; yy += y[i] * y[i]; }
        return xx == 0 || yy == 0 ? double.NaN : xy / Math.Sqrt(xx * yy);
    }

    /// <summary>Average ranks (1-based; ties share their mean rank).</summary>
    public static double[] Ranks(ReadOnlySpan<double> x)
    {
        var order = new int[x.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = x.ToArray();
        Array.Sort(keys, order);
        var ranks = new double[x.Length];
        for (int i = 0; i < keys.Length;)
        {
            int j = i;
            while (j + 1 < keys.Length && keys[j + 1] == keys[i]) j++;
            double r = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) ranks[order[k]] = r;
            i = j + 1;
        }
        return ranks;
    }

    /// <summary>The named correlation: <c>pearson</c>, <c>spearman</c>, <c>kendall</c> or <c>cosine</c>.</summary>
    public static double Of(SimilarityFunc func, ReadOnlySpan<double> x, ReadOnlySpan<double> y) => func switch
    {
        SimilarityFunc.Pearson => Pearson(x, y),
        SimilarityFunc.Spearman => Spearman(x, y),
        SimilarityFunc.Kendall => Kendall(x, y),
        SimilarityFunc.Cosine => Cosine(x, y),
        _ => throw new ArgumentOutOfRangeException(nameof(func)),
    };
}

/// <summary>Quantus's <c>similarity_func</c> choices for correlation-based metrics.</summary>
public enum SimilarityFunc
{
    /// <summary>Pearson r.</summary>
    Pearson,
    /// <summary>Spearman ρ.</summary>
    Spearman,
    /// <summary>Kendall τ-b.</summary>
    Kendall,
    /// <summary>Cosine similarity.</summary>
    Cosine,
}
