using Sightline.Evaluation;

namespace Sightline.Metrics.Complexity;

/// <summary>
/// The loop the complexity metrics share: each sample's attribution is copied, preprocessed on its own (per-sample
/// normalisation, then |a|: Quantus normalises over the whole batch, spec §8 row 4, so its scores depend on the
/// batch-mates) and handed to a span kernel; samples run in parallel when the batch is large enough to pay for it.
/// </summary>
internal static class ComplexityKernels
{
    /// <summary>Scores every sample of <paramref name="batch"/> with <paramref name="kernel"/> over its preprocessed attribution.</summary>
    public static void Run(EvaluationBatch batch, MetricOutput output, AttributionPreprocessing preprocessing, Func<Span<float>, Score> kernel)
    {
        int values = batch.Shape.AttributionValues;
        void One(int i, float[] buffer)
        {
            var a = buffer.AsSpan(0, values);
            batch.Attribution(i).CopyTo(a);
            if (!AllFinite(a))
            {
                output.Set(i, Score.Undefined(Reasons.NonFiniteMap));
                return;
            }
            preprocessing.ApplyInPlace(a);
            output.Set(i, kernel(a));
        }
        if ((long)batch.Count * values < 1 << 16)
        {
            var buffer = new float[values];
            for (int i = 0; i < batch.Count; i++) One(i, buffer);
            return;
        }
        Parallel.For(0, batch.Count, () => new float[values], (i, _, buffer) => { One(i, buffer); return buffer; }, _ => { });
    }

    private static bool AllFinite(ReadOnlySpan<float> a)
    {
        foreach (var v in a)
            if (!float.IsFinite(v)) return false;
        return true;
    }
}
