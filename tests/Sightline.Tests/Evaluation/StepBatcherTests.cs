using Sightline.Models;

namespace Sightline.Tests.Evaluation;

public sealed class StepBatcherTests
{
    [Fact]
    public void Rows_of_many_samples_share_calls_and_come_back_in_order()
    {
        var model = AffineModel.TwoClass(1, 1, 3, [1, 10, 100]);
        var got = new List<(long Row, float Logit)>();
        int calls = StepBatcher.Forward(model, 10, (r, x) => { x.Clear(); x[(int)(r % 3)] = r; }, (r, y) => got.Add((r, y[0])), new ModelBudget { BatchSize = 4 });
        Assert.Equal(3, calls);
        Assert.Equal(3, model.Calls);
        Assert.Equal(Enumerable.Range(0, 10).Select(r => (long)r), got.Select(g => g.Row));
        for (int r = 0; r < 10; r++) Assert.Equal(r * new[] { 1f, 10, 100 }[r % 3], got[r].Logit);
    }

    [Fact]
    public void Gradients_are_per_row_with_their_targets()
    {
        var model = new AffineModel(1, 1, 2, [1, 2, 3, 4]);
        var grads = new List<float[]>();
        StepBatcher.Gradients(model, 3, r => (int)(r % 2), (r, x) => x.Fill(1), (r, g) => grads.Add(g.ToArray()), new ModelBudget { BatchSize = 2 }, 0);
        Assert.Equal([[1, 2], [3, 4], [1, 2]], grads);
    }

    [Fact]
    public void Automatic_rows_follow_the_memory_budget()
    {
        var budget = new ModelBudget { MemoryBudgetBytes = 16 * 100 * 7 };
        Assert.Equal(7, budget.RowsPerCall(100));
        Assert.Equal(256, ModelBudget.Default.RowsPerCall(1));
        Assert.Equal(1, new ModelBudget { MemoryBudgetBytes = 1 }.RowsPerCall(100));
        Assert.Equal(0, StepBatcher.Forward(AffineModel.TwoClass(1, 1, 1, [1]), 0, (_, _) => { }, (_, _) => { }, budget));
    }
}
