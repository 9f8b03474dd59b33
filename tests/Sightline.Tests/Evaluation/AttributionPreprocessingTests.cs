using Sightline.Evaluation;

namespace Sightline.Tests.Evaluation;

public sealed class AttributionPreprocessingTests
{
    private static readonly float[] Quantus = [0, 1, 2, 3, 4, 4, 5, -1];

    [Fact]
    public void Normalise_by_max_matches_quantus_literal()
    {
        var a = Quantus.ToArray();
        AttributionPreprocessing.Normalize(a, Normalisation.ByMax);
        Assert.Equal([0, .2f, .4f, .6f, .8f, .8f, 1, -.2f], a, new Tolerance(1e-6f));
    }

    [Fact]
    public void Normalise_by_negative_matches_quantus_literal()
    {
        var a = Quantus.ToArray();
        AttributionPreprocessing.Normalize(a, Normalisation.ByNegative);
        Assert.Equal([0, .2f, .4f, .6f, .8f, .8f, 1, -1f], a, new Tolerance(1e-6f));
    }

    [Fact]
    public void Normalise_by_second_moment_matches_quantus_literal()
    {
        var a = Quantus.ToArray();
        AttributionPreprocessing.Normalize(a, Normalisation.BySecondMoment);
        Assert.Equal([0, 1 / 3f, 2 / 3f, 1, 4 / 3f, 4 / 3f, 5 / 3f, -1 / 3f], a, new Tolerance(1e-6f));
    }

    [Fact]
    public void Normalisation_is_per_sample_not_per_batch()
    {
        // Quantus divides by the batch maximum (spec §8 row 4): sample 0 would become [.01, .02] next to sample 1.
        var p = new AttributionPreprocessing(Normalisation.ByMax, false).Apply([1, 2, 100, 50], 2, 2);
        Assert.Equal([.5f, 1, 1, .5f], p);
    }

    [Fact]
    public void All_zero_map_stays_zero_and_abs_follows_normalisation()
    {
        var z = new float[4];
        AttributionPreprocessing.Normalize(z, Normalisation.ByMax);
        Assert.All(z, v => Assert.Equal(0f, v));
        var p = new AttributionPreprocessing(Normalisation.ByMax, true).Apply([-4, 2], 1, 2);
        Assert.Equal([1f, .5f], p);
    }

    private sealed class Tolerance(float eps) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= eps;
        public int GetHashCode(float obj) => 0;
    }
}
