using Sightline.Evaluation;

namespace Sightline.Tests.Evaluation;

public sealed class PerturbationTests
{
    [Fact]
    public void Descending_order_breaks_ties_by_index_and_ties_signed_zeros()
    {
        Assert.Equal([1, 3, 0, 2, 4], Perturbation.DescendingOrder([0.5f, 1f, -0f, 1f, 0f]));
        Assert.Equal([2, 4, 0, 1, 3], Perturbation.AscendingOrder([0.5f, 1f, -0f, 1f, 0f]));
    }

    [Fact]
    public void Black_baseline_is_the_sample_minimum_as_in_quantus()
    {
        float[] x = [-2.1f, 0.5f, 3f];
        Assert.Equal(-2.1f, Perturbation.Constant(PerturbBaseline.Black, x));
        Assert.Equal(3f, Perturbation.Constant(PerturbBaseline.White, x));
        Assert.Equal((float)(1.4 / 3), Perturbation.Constant(PerturbBaseline.Mean, x), 6);
        var row = x.ToArray();
        Perturbation.Fill(row, [0, 2], PerturbBaseline.Zero, x, null);
        Assert.Equal([0f, 0.5f, 0f], row);
        Perturbation.Fill(row, [1], PerturbBaseline.Uniform, x, new Random(1));
        Assert.InRange(row[1], 0f, 1f);
    }

    [Fact]
    public void Softmax_output_is_a_probability()
    {
        Assert.Equal(Math.Exp(2) / (Math.Exp(2) + Math.Exp(1)), Perturbation.Output([1, 2], 1, softmax: true), 12);
        Assert.Equal(2.0, Perturbation.Output([1, 2], 1, softmax: false));
    }

    [Fact]
    public void Random_streams_depend_on_sample_index_not_batch()
    {
        var whole = EvalBatches.Make(1, 1, 2, new float[8], new float[8], [0, 0, 0, 0], seed: 7);
        var tail = whole.Slice(2, 2);
        Assert.Equal(whole.RandomFor(3, "m").Next(), tail.RandomFor(1, "m").Next());
        Assert.NotEqual(whole.RandomFor(3, "m").Next(), whole.RandomFor(3, "other").Next());
    }
}
