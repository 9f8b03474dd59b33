using Sightline.Evaluation;
using Sightline.Models;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

/// <summary>Runs metrics on batches and checks the invariants every metric of this folder shares.</summary>
internal static class FaithfulnessHarness
{
    public static MetricOutput Run(IEvaluationMetric metric, EvaluationBatch batch)
    {
        var output = new MetricOutput(batch.Count, metric.Columns(batch.Shape, batch.Model), metric.CurveLength(batch.Shape));
        metric.Evaluate(batch, output);
        return output;
    }

    public static double[] Scores(IEvaluationMetric metric, EvaluationBatch batch)
    {
        var o = Run(metric, batch);
        return [.. Enumerable.Range(0, batch.Count).Select(i => o[i])];
    }

    /// <summary>A seeded batch of <paramref name="count"/> random samples (inputs N(0,1)-ish, maps U(−1, 1)).</summary>
    public static EvaluationBatch RandomBatch(IModel model, int count, int attributionChannels, int seed = 7, int batchSize = 0, int runSeed = 0)
    {
        var s = model.InputShape;
        int c = s[0], h = s[1], w = s[2];
        var rng = new Random(seed);
        var x = new float[count * c * h * w];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 4 - 2);
        var a = new float[count * attributionChannels * h * w];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        var t = new int[count];
        for (int i = 0; i < count; i++) t[i] = rng.Next(model.OutputCount);
        return EvalBatches.Make(c, h, w, x, a, t, model, seed: runSeed, batchSize: batchSize);
    }

    /// <summary>Scores equal for the batch as one, as batches of one, and with budget BatchSize 1 vs 64.</summary>
    public static void AssertBatchSizeInvariant(IEvaluationMetric metric, EvaluationBatch batch)
    {
        var whole = Run(metric, batch);
        var wholeScores = Enumerable.Range(0, batch.Count).Select(i => whole[i]).ToArray();
        for (int i = 0; i < batch.Count; i++)
        {
            var single = Run(metric, batch.Slice(i, 1));
            Assert.Equal(wholeScores[i], single[0]);
            if (whole.CurveLength > 0) Assert.Equal(whole.Curve(i).ToArray(), single.Curve(0).ToArray());
        }
        foreach (int size in new[] { 1, 64 })
        {
            var b = new EvaluationBatch(batch.Shape, batch.Count, batch.Inputs, batch.Attributions, batch.Targets, batch.Masks, batch.Labels,
                batch.Model, batch.Explainer, batch.FirstIndex, batch.Seed, new ModelBudget { BatchSize = size });
            Assert.Equal(wholeScores, Scores(metric, b));
        }
        Assert.Contains(wholeScores, double.IsFinite);
    }
}
