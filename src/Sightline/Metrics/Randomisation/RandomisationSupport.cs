using Sightline.Evaluation;
using Sightline.Models;

namespace Sightline.Metrics.Randomisation;

/// <summary>Reasons for undefined scores of the randomisation and input-invariance metrics (besides <see cref="Reasons"/>).</summary>
public static class RandomisationReasons
{
    /// <summary>SSIM needs at least 7 values per side of its window (skimage's default win_size).</summary>
    public const string MapTooSmall = "map-smaller-than-ssim-window";

    /// <summary>Both maps are one constant value: SSIM's data range is 0 (0/0).</summary>
    public const string ZeroDataRange = "zero-data-range";

    /// <summary>The original explanation's histogram entropy is 0 (a constant map), so the relative rise is undefined.</summary>
    public const string ZeroEntropy = "zero-entropy";

    /// <summary>An explanation holds NaN or infinity.</summary>
    public const string NonFinite = "non-finite-explanation";

    /// <summary>The model has no layer with float parameters to randomise.</summary>
    public const string NoParameterLayers = "no-parameterised-layers";
}

/// <summary>What the randomisation metrics share: the randomisable model, batched re-explanation, SSIM, histogram entropy.</summary>
internal static class RandomisationSupport
{
    /// <summary>The model re-explanations run on, as a randomisable model, or an input error naming <paramref name="metric"/>.</summary>
    public static IRandomisableModel RequireRandomisable(EvaluationBatch batch, string metric)
    {
        var model = batch.ExplainModel ?? batch.RequireModel(metric);
        return model as IRandomisableModel ?? throw new InputDataException(
            $"Metric '{metric}' randomises the model's parameters, which the back end of '{model.Name}' cannot do; use an ONNX model (ONNX Runtime or the TorchSharp lowering).");
    }

    /// <summary>Explains all <paramref name="count"/> samples of <paramref name="inputs"/> on <paramref name="model"/> in one call (N × A·H·W values).</summary>
    public static float[] Explain(EvaluationBatch batch, IReexplainer explainer, IModel model, ReadOnlySpan<float> inputs, int count, ReadOnlySpan<int> targets)
    {
        var output = new float[count * batch.Shape.AttributionValues];
        explainer.Explain(model, inputs, count, targets, output, batch.FirstIndex);
        return output;
    }

    /// <summary>Preprocesses every sample of <paramref name="maps"/> in place.</summary>
    public static void Prepare(float[] maps, int count, int values, AttributionPreprocessing preprocessing)
    {
        if (preprocessing.IsIdentity) return;
        for (int i = 0; i < count; i++) preprocessing.ApplyInPlace(maps.AsSpan(i * values, values));
    }

    /// <summary>True when every value is finite.</summary>
    public static bool AllFinite(ReadOnlySpan<float> a)
    {
        foreach (var v in a) if (!float.IsFinite(v)) return false;
        return true;
    }

    /// <summary>The similarity of two maps in float64 (NaN + reason when undefined).</summary>
    public static Score Similar(SimilarityFunc func, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (!AllFinite(a) || !AllFinite(b)) return Score.Undefined(RandomisationReasons.NonFinite);
        var x = new double[a.Length];
        var y = new double[b.Length];
        for (int i = 0; i < x.Length; i++) { x[i] = a[i]; y[i] = b[i]; }
        double s = Similarity.Of(func, x, y);
        return double.IsNaN(s) ? Score.Undefined(Reasons.ConstantMap) : new Score(s);
    }

    /// <summary>
    /// The structural similarity of two vectors as <c>skimage.metrics.structural_similarity(a, b, data_range=R)</c> computes
    /// it for 1-D inputs with its defaults (what Quantus's <c>ssim</c> gets: it passes the flattened maps): a uniform
    /// window of 7 values, sample covariances (× 7/6), K1 = 0.01, K2 = 0.03, C1 = (K1·R)², C2 = (K2·R)²,
    /// S = (2μaμb + C1)(2σab + C2) / ((μa² + μb² + C1)(σa² + σb² + C2)) per window position, averaged over the positions whose
    /// window lies inside the vector (skimage crops (7 − 1)/2 values at each end, so its reflecting filter border never
    /// counts). R = max − min over both vectors (Quantus). NaN (with reason) for fewer than 7 values or R = 0.
    /// </summary>
    public static Score Ssim(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int window = 7)
    {
        int n = a.Length;
        if (n != b.Length) throw new ArgumentException("Vectors of different lengths.");
        if (n < window) return Score.Undefined(RandomisationReasons.MapTooSmall);
        if (!AllFinite(a) || !AllFinite(b)) return Score.Undefined(RandomisationReasons.NonFinite);
        double max = double.NegativeInfinity, min = double.PositiveInfinity;
        for (int i = 0; i < n; i++)
        {
            max = Math.Max(max, Math.Max(a[i], b[i]));
            min = Math.Min(min, Math.Min(a[i], b[i]));
        }
        double range = Math.Abs(max - min);
        if (range == 0) return Score.Undefined(RandomisationReasons.ZeroDataRange);
        double c1 = 0.01 * range * 0.01 * range, c2 = 0.03 * range * 0.03 * range;
        double covNorm = window / (window - 1.0);
        // Each window's sums directly (7 values: cheaper to recompute than to keep running sums exact).
        double total = 0;
        int positions = n - window + 1;
        for (int j = 0; j < positions; j++)
        {
            double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
            for (int i = j; i < j + window; i++)
            {
                double x = a[i], y = b[i];
                sa += x; sb += y; saa += x * x; sbb += y * y; sab += x * y;
            }
            double ua = sa / window, ub = sb / window;
            double va = covNorm * (saa / window - ua * ua), vb = covNorm * (sbb / window - ub * ub), vab = covNorm * (sab / window - ua * ub);
            total += (2 * ua * ub + c1) * (2 * vab + c2) / ((ua * ua + ub * ub + c1) * (va + vb + c2));
        }
        return new Score(total / positions);
    }

    /// <summary>
    /// Quantus's <c>discrete_entropy</c>: the Shannon entropy (natural log) of the histogram of <paramref name="a"/> in
    /// <paramref name="bins"/> equal bins over [min, max] (NumPy's <c>np.histogram(a, bins)</c>: the last bin includes
    /// max; a constant map falls in one bin, entropy 0).
    /// </summary>
    public static double DiscreteEntropy(ReadOnlySpan<float> a, int bins)
    {
        if (a.IsEmpty) return double.NaN;
        double min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in a) { min = Math.Min(min, v); max = Math.Max(max, v); }
        if (!(max > min)) return 0;
        var counts = new long[bins];
        double width = max - min;
        foreach (var v in a)
        {
            int k = (int)((v - min) / width * bins);
            counts[Math.Clamp(k, 0, bins - 1)]++;
        }
        double h = 0;
        foreach (var c in counts)
        {
            if (c == 0) continue;
            double p = (double)c / a.Length;
            h -= p * Math.Log(p);
        }
        return h;
    }
}

/// <summary>The layer loop MPRT and smooth MPRT share.</summary>
internal static class LayerTest
{
    /// <summary>
    /// Columns: the summary, <c>NAME:original</c>, then <c>NAME:&lt;layer&gt;</c> per step in randomisation order (the
    /// model's <see cref="IRandomisableModel.ParameterLayers"/>; none when the model is not randomisable).
    /// </summary>
    public static IReadOnlyList<string> Columns(string name, IModel? model, RandomisationOrder order)
    {
        var columns = new List<string> { name, name + ":original" };
        if (model is IRandomisableModel r)
            foreach (var (layer, _) in Models.Randomisation.Steps(r.ParameterLayers, order)) columns.Add($"{name}:{layer}");
        return columns;
    }

    /// <summary>
    /// Scores every sample: column 1 = similarity(<paramref name="reference"/>, explain(original)), then per step
    /// similarity(explain(original-or-reference), explain(copy)); the summary is the mean over the layers (or the last
    /// layer). <paramref name="explain"/> returns the preprocessed maps of all samples on a model.
    /// </summary>
    public static void Run(EvaluationBatch batch, MetricOutput output, string name, RandomisationOrder order, int seed,
        SimilarityFunc similarity, bool returnLast, float[] reference, bool compareWithOriginal, Func<IModel, float[]> explain)
    {
        var model = RandomisationSupport.RequireRandomisable(batch, name);
        var steps = Models.Randomisation.Steps(model.ParameterLayers, order);
        int n = batch.Count, size = batch.Shape.AttributionValues;
        var original = explain(model);
        var baseline = compareWithOriginal ? original : reference;
        var columnOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < output.Columns.Count; c++) columnOf[output.Columns[c]] = c;
        if (columnOf.TryGetValue(name + ":original", out int oc))
            for (int i = 0; i < n; i++)
                output.Set(i, oc, RandomisationSupport.Similar(similarity, reference.AsSpan(i * size, size), original.AsSpan(i * size, size)).Value);
        var scores = new double[n * steps.Count];
        var reasons = new string?[n];
        for (int s = 0; s < steps.Count; s++)
        {
            float[] maps;
            using (var copy = model.WithRandomisedLayers(steps[s].Randomised, seed)) maps = explain(copy);
            columnOf.TryGetValue($"{name}:{steps[s].Layer}", out int col);
            for (int i = 0; i < n; i++)
            {
                var score = RandomisationSupport.Similar(similarity, baseline.AsSpan(i * size, size), maps.AsSpan(i * size, size));
                scores[i * steps.Count + s] = score.Value;
                reasons[i] ??= score.Reason;
                if (col > 0) output.Set(i, col, score.Value);
            }
        }
        for (int i = 0; i < n; i++)
        {
            if (steps.Count == 0) { output.Set(i, Score.Undefined(RandomisationReasons.NoParameterLayers)); continue; }
            var row = scores.AsSpan(i * steps.Count, steps.Count);
            double summary;
            if (returnLast) summary = row[^1];
            else { double sum = 0; foreach (var v in row) sum += v; summary = sum / row.Length; }
            output.Set(i, double.IsNaN(summary) ? Score.Undefined(reasons[i] ?? Reasons.ConstantMap) : new Score(summary, reasons[i]));
        }
    }
}
