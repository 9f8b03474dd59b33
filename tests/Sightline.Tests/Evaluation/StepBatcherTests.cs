using Sightline.Models;
using Sightline.Tests.Explainers;

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

    [Fact]
    public void Prepare_sees_each_calls_row_range_before_its_rows_are_filled()
    {
        var model = AffineModel.TwoClass(1, 1, 2, [1, 1]);
        var ranges = new List<(long, int)>();
        var filledBefore = new List<int>();
        int filled = 0;
        int calls = StepBatcher.Forward(model, 10, (first, n) => { ranges.Add((first, n)); filledBefore.Add(filled); },
            (r, x) => { Interlocked.Increment(ref filled); x.Fill(r); }, (_, _) => { }, new ModelBudget { BatchSize = 4 });
        Assert.Equal(3, calls);
        Assert.Equal([(0L, 4), (4L, 4), (8L, 2)], ranges);
        Assert.Equal([0, 4, 8], filledBefore);
    }

    [Fact]
    public void Held_rows_go_through_in_calls_of_the_budget()
    {
        var model = AffineModel.Random(1, 2, 2, 3, 4);
        var x = Enumerable.Range(0, 5 * 4).Select(i => (float)Math.Sin(i)).ToArray();
        var batched = new float[15];
        Assert.Equal(2, StepBatcher.Forward(model, x, 5, batched, new ModelBudget { BatchSize = 3 }));
        var single = new float[15];
        for (int i = 0; i < 5; i++) model.Forward(x.AsSpan(i * 4, 4), 1, single.AsSpan(i * 3, 3));
        Assert.Equal(single, batched);
        var grads = new float[20];
        Assert.Equal(5, StepBatcher.Gradients(model, x, 5, [0, 1, 2, 0, 1], grads, new ModelBudget { BatchSize = 1 }, 0));
        for (int i = 0; i < 5; i++)
            for (int p = 0; p < 4; p++) Assert.Equal(model.Weight(new[] { 0, 1, 2, 0, 1 }[i], p), grads[i * 4 + p]);
    }

    [Fact]
    public void Layer_runs_hand_whole_calls_with_or_without_gradients()
    {
        var model = new ConvGapModel(2, 3, 3, 4, 3, 7);
        var x = ConvGapModel.RandomInputs(5, 2, 3, 3, 8);
        int layer = 4 * 9;
        var seen = new List<(long First, int Count, int Grads)>();
        var acts = new float[5 * layer];
        int calls = StepBatcher.LayerActivations(model, ConvGapModel.FeatureLayer, 5, r => (int)(r % 3), (r, row) => x.AsSpan((int)r * 18, 18).CopyTo(row),
            (first, n, a, g, y) => { seen.Add((first, n, g.Length)); a.CopyTo(acts.AsSpan((int)first * layer)); }, new ModelBudget { BatchSize = 2 }, 0);
        Assert.Equal(3, calls);
        Assert.Equal([(0L, 2, 2 * layer), (2L, 2, 2 * layer), (4L, 1, layer)], seen);
        var expected = new float[layer];
        model.Features(x.AsSpan(4 * 18, 18), expected, new bool[layer]);
        Assert.Equal(expected, acts.AsSpan(4 * layer, layer).ToArray());
        seen.Clear();
        StepBatcher.LayerActivations(model, ConvGapModel.FeatureLayer, 5, null, (r, row) => x.AsSpan((int)r * 18, 18).CopyTo(row),
            (first, n, a, g, y) => seen.Add((first, n, g.Length)), new ModelBudget { BatchSize = 8 }, 0);
        Assert.Equal([(0L, 5, 0)], seen);
    }

    [Fact]
    public void Forward_with_layer_rows_carry_their_replacement_activations()
    {
        var model = new ConvGapModel(1, 2, 2, 3, 2, 9);
        int layer = 3 * 4;
        var got = new List<float[]>();
        int calls = StepBatcher.ForwardWithLayer(model, ConvGapModel.FeatureLayer, 3, (r, x) => x.Clear(), (r, a) => a.Fill(r + 1), (r, y) => got.Add(y.ToArray()),
            new ModelBudget { BatchSize = 2 });
        Assert.Equal(2, calls);
        for (int r = 0; r < 3; r++)
        {
            var expected = new float[2];
            model.Head(Enumerable.Repeat((float)(r + 1), layer).ToArray(), expected);
            Assert.Equal(expected, got[r]);
        }
    }
}
