using Sightline.Evaluation;
using Sightline.Metrics.Faithfulness;
using Sightline.Models;
using Sightline.Tests.Evaluation;

namespace Sightline.Tests.Metrics.Faithfulness;

public sealed class PerturbationRowsTests
{
    [Fact]
    public void Rows_are_located_past_samples_without_rows()
    {
        var rows = new PerturbationRows([0, 2, 0, 0, 3, 0]);
        Assert.Equal(5, rows.Total);
        Assert.Equal((1, 0), rows.Locate(0));
        Assert.Equal((1, 1), rows.Locate(1));
        Assert.Equal((4, 0), rows.Locate(2));
        Assert.Equal((4, 2), rows.Locate(4));
    }

    [Fact]
    public void One_run_serves_every_sample_in_row_order()
    {
        var model = AffineModel.TwoClass(1, 1, 2, [1, 10]);
        var seen = new List<(int, int, float)>();
        int calls = new PerturbationRows([2, 0, 3]).Run(model, new ModelBudget { BatchSize = 4 },
            (i, k, x) => { x[0] = i; x[1] = k; },
            (i, k, y) => seen.Add((i, k, y[0])));
        Assert.Equal(2, calls);
        Assert.Equal([(0, 0, 0f), (0, 1, 10f), (2, 0, 2f), (2, 1, 12f), (2, 2, 22f)], seen);
    }

    [Fact]
    public void Uniform_noise_is_a_function_of_sample_draw_and_feature()
    {
        var b = EvalBatches.Make(1, 1, 4, new float[8], new float[8], [0, 0], seed: 5);
        var u0 = BaselineValues.For(b, 0, "m", PerturbBaseline.Uniform);
        var again = BaselineValues.For(b.Slice(0, 1), 0, "m", PerturbBaseline.Uniform);
        var u1 = BaselineValues.For(b, 1, "m", PerturbBaseline.Uniform);
        Assert.Equal(u0.Value(3, 2), again.Value(3, 2));
        Assert.NotEqual(u0.Value(3, 2), u1.Value(3, 2));
        Assert.NotEqual(u0.Value(3, 2), u0.Value(4, 2));
        Assert.NotEqual(u0.Value(3, 2), u0.Value(3, 1));
        var draws = Enumerable.Range(0, 10000).Select(j => (double)u0.Value(0, j)).ToArray();
        Assert.All(draws, v => Assert.InRange(v, 0, 1 - 1e-9));
        Assert.InRange(draws.Average(), 0.48, 0.52);
        Assert.Equal(-1f, BaselineValues.For(EvalBatches.Make(1, 1, 2, [-1, 3], [0, 0], [0]), 0, "m", PerturbBaseline.Black).Value(7, 1));
    }
}
