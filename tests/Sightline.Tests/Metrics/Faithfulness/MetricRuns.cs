using Sightline.Evaluation;
using Sightline.Models;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

/// <summary>Runs evaluation metrics in tests and checks the invariants every perturbation metric must keep.</summary>
internal static class MetricRuns
{
    public static MetricOutput Run(IEvaluationMetric metric, EvaluationBatch batch)
    {
        var output = new MetricOutput(batch.Count, metric.Columns(batch.Shape, batch.Model), metric.CurveLength(batch.Shape));
        metric.Evaluate(batch, output);
        return output;
    }

    /// <summary>A random batch: N samples of C×H×W inputs, attributions with <paramref name="attributionChannels"/> channels, on a random affine model.</summary>
    public static (AffineModel Model, float[] X, float[] A, int[] T) Random(int n, int c, int h, int w, int attributionChannels, int seed, int classes = 3)
    {
        var rng = new System.Random(seed);
        var model = AffineModel.Random(c, h, w, classes, seed + 1);
        var x = Enumerable.Range(0, n * c * h * w).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var a = Enumerable.Range(0, n * attributionChannels * h * w).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var t = Enumerable.Range(0, n).Select(i => i % classes).ToArray();
        return (model, x, a, t);
    }

    /// <summary>
    /// Scores (all columns) and curves for one batch of N, for N batches of 1 (global indices kept) and for budget batch
    /// size 1 and 64 must be identical; returns the one-batch output.
    /// </summary>
    public static MetricOutput AssertBatchInvariant(IEvaluationMetric metric, int c, int h, int w, int attributionChannels, int seed = 7, int n = 4)
    {
        var (model, x, a, t) = Random(n, c, h, w, attributionChannels, seed);
        var whole = EvalBatches.Make(c, h, w, x, a, t, model, seed: 3, batchSize: 64);
        var all = Run(metric, whole);
        var one = Run(metric, EvalBatches.Make(c, h, w, x, a, t, model, seed: 3, batchSize: 1));
        Assert.Equal(all.Values, one.Values);
        Assert.Equal(all.Curves, one.Curves);
        for (int i = 0; i < n; i++)
        {
            var single = Run(metric, whole.Slice(i, 1));
            for (int col = 0; col < all.Columns.Count; col++)
                Assert.Equal(all.Values[i * all.Columns.Count + col], single.Values[col]);
            Assert.Equal(all.Curve(i).ToArray(), single.Curve(0).ToArray());
            Assert.Equal(all.Reasons[i], single.Reasons[0]);
        }
        return all;
    }

    /// <summary>Every defined score lies in the catalogue's bounds.</summary>
    public static void AssertBounds(IEvaluationMetric metric, MetricOutput output)
    {
        for (int i = 0; i < output.Count; i++)
        {
            double v = output[i];
            if (double.IsNaN(v)) continue;
            Assert.InRange(v, metric.Info.Minimum, metric.Info.Maximum);
        }
    }

    public static float[] Seq(int n, float start = 0) => [.. Enumerable.Range(0, n).Select(i => start + i)];

    public static float[] Ones(int n) => [.. Enumerable.Repeat(1f, n)];
}

/// <summary>A model over a fixed function of the input (one or more outputs), for toy-model tests.</summary>
internal sealed class FuncModel(int c, int h, int w, int outputs, Func<ReadOnlySpan<float>, int, float> f, string name = "func") : IModel
{
    public int Calls { get; private set; }
    public long Rows { get; private set; }
    public string Name => name;
    public IReadOnlyList<int> InputShape { get; } = [c, h, w];
    public int OutputCount => outputs;

    public void Forward(ReadOnlySpan<float> inputs, int batch, Span<float> logits)
    {
        Calls++;
        Rows += batch;
        int size = c * h * w;
        for (int n = 0; n < batch; n++)
            for (int k = 0; k < outputs; k++) logits[n * outputs + k] = f(inputs.Slice(n * size, size), k);
    }

    public void Dispose() { }
}
