using Sightline.Evaluation;

namespace Sightline.Tests.Evaluation;

public sealed class SimilarityTests
{
    [Theory]
    [InlineData(SimilarityFunc.Pearson)]
    [InlineData(SimilarityFunc.Spearman)]
    [InlineData(SimilarityFunc.Kendall)]
    public void Identical_scaled_and_negated_vectors_match_quantus_literals(SimilarityFunc f)
    {
        double[] a = [1, 5, 2, 8, 3];
        Assert.Equal(1.0, Similarity.Of(f, a, a), 12);
        Assert.Equal(1.0, Similarity.Of(f, a, [.. a.Select(v => v * 3)]), 12);
        Assert.Equal(-1.0, Similarity.Of(f, a, [.. a.Select(v => v * -3)]), 12);
    }

    [Fact]
    public void Quantus_literal_correlations()
    {
        Assert.Equal(0.0, Similarity.Pearson([0, 1, 0, 1], [1, 2, 1, 0]), 12);
        Assert.Equal(0.5, Similarity.Pearson([-1, 1, 1], [0, 0, 2]), 12);
        Assert.Equal(0.5, Similarity.Spearman([-1, 1, 1], [0, 0, 2]), 12);
        Assert.Equal(0.5, Similarity.Kendall([-1, 1, 1], [0, 0, 2]), 12);
    }

    [Fact]
    public void Constant_vectors_are_undefined()
    {
        Assert.True(double.IsNaN(Similarity.Pearson([1, 1, 1], [1, 2, 3])));
        Assert.True(double.IsNaN(Similarity.Kendall([1, 2, 3], [4, 4, 4])));
        Assert.True(double.IsNaN(Similarity.Cosine([0, 0], [1, 2])));
    }

    [Fact]
    public void Ranks_average_ties()
    {
        Assert.Equal([1.5, 1.5, 3, 4], Similarity.Ranks([2, 2, 5, 9]));
    }
}
