using Sightline.Text.Calls;

namespace Sightline.Text.Tests.Values;

public sealed class CachedVectorsTests
{
    [Fact]
    public void The_shared_batch_loop_computes_each_distinct_missing_text_once_in_batches_and_replays_the_rest()
    {
        var caller = new CachedCaller(new MemoryCallCache());
        var batches = new List<string[]>();
        float[][] Compute(IReadOnlyList<string> batch) { batches.Add([.. batch]); return [.. batch.Select(t => new float[] { t.Length, 1 })]; }
        var first = caller.GetVectors(["aa", "b", "aa", "cccc", "dd"], t => t, 2, Compute);
        Assert.Equal([["aa", "b"], ["cccc", "dd"]], batches);
        Assert.Equal(4, caller.Calls);
        Assert.Same(first[0], first[2]);
        var second = caller.GetVectors(["dd", "eee"], t => t, 2, Compute);
        Assert.Equal(["eee"], batches[^1]);
        Assert.Equal(5, caller.Calls);
        Assert.Equal(1, caller.Hits);
        Assert.Equal([2f, 1f], second[0]);
        Assert.Equal([3f, 1f], second[1]);
    }

    [Fact]
    public void A_cancelled_batch_loop_keeps_the_finished_batches()
    {
        var cache = new MemoryCallCache();
        var caller = new CachedCaller(cache);
        using var cts = new CancellationTokenSource();
        float[][] Compute(IReadOnlyList<string> batch) { cts.Cancel(); return [.. batch.Select(_ => new float[] { 1 })]; }
        Assert.Throws<OperationCanceledException>(() => caller.GetVectors(["a", "b", "c"], t => t, 1, Compute, cts.Token));
        Assert.Equal(1, cache.Count);
    }
}
