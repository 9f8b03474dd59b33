using Sightline.Metrics;
using Sightline.Metrics.Localisation;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class SemanticSpuriosityScoreTests
{
    // SemScore spec §10 core 4×4 vectors.
    private static readonly float[] S =
    [
        .1f, .7f, .9f, .2f,
        .65f, 1.0f, .8f, .3f,
        0f, .61f, .59f, .6f,
        .95f, .2f, .3f, .99f,
    ];

    private static readonly byte[] M =
    [
        0, 1, 1, 0,
        0, 1, 1, 0,
        0, 1, 1, 0,
        0, 0, 0, 0,
    ];

    private static Score Sss(float[] map, byte[] mask, int h, int w, SssOptions o) =>
        new SemanticSpuriosityScore(o).Evaluate(new MapMaskSample(map, mask, h, w));

    [Theory]
    [InlineData(null, false, false, 0.4825646794150731)]
    [InlineData(0.6f, false, false, 0.3924242424242424)]
    [InlineData(0.6f, true, false, 0.375)]
    [InlineData(null, false, true, 0.5)]
    [InlineData(0.6f, false, true, 0.34848484629551346)]
    [InlineData(0.6f, true, true, 0.375)]
    [InlineData(0.0f, false, true, 0.5)]
    public void Core_4x4_vectors_match_the_spec(float? tau, bool hard, bool compat, double expected)
    {
        var score = Sss(S, M, 4, 4, new SssOptions(tau, hard, compat));
        Assert.Equal(expected, score.Value, 1e-6);
        Assert.Null(score.Reason);
    }

    [Fact]
    public void Exact_mode_is_share_of_thresholded_mass_outside_the_mask_to_full_precision()
    {
        // Soft τ = 0.6: kept values outside = .65+.61+.95+.99 in float32 ... computed independently in float64.
        double inside = 0, total = 0;
        for (int i = 0; i < S.Length; i++)
        {
            if (S[i] > 0.6f) { total += S[i]; if (M[i] == 1) inside += S[i]; }
        }
        var score = Sss(S, M, 4, 4, new SssOptions());
        Assert.Equal((total - inside) / total, score.Value, 1e-15);
    }

    [Fact]
    public void Uniform_map_with_half_mask_is_one_half_in_both_modes()
    {
        var map = Enumerable.Repeat(0.15f, 100).ToArray();
        var mask = Enumerable.Range(0, 100).Select(i => i < 50 ? (byte)1 : (byte)0).ToArray();
        Assert.Equal(0.5, Sss(map, mask, 10, 10, new SssOptions(null)).Value, 1e-12);
        Assert.Equal(0.5, Sss(map, mask, 10, 10, new SssOptions(null, ReferenceCompat: true)).Value, 1e-12);
    }

    [Fact]
    public void Empty_mask_scores_one_exactly_and_is_flagged()
    {
        var empty = new byte[16];
        var exact = Sss(S, empty, 4, 4, new SssOptions());
        Assert.Equal(1.0, exact.Value);
        Assert.Equal(Reasons.EmptyMask, exact.Reason);
        var compat = Sss(S, empty, 4, 4, new SssOptions(ReferenceCompat: true));
        Assert.Equal(0.9545454611134596, compat.Value, 1e-6);
    }

    [Fact]
    public void No_saliency_above_threshold_is_undefined_with_reason()
    {
        var low = Enumerable.Repeat(0.5f, 16).ToArray();
        var score = Sss(low, M, 4, 4, new SssOptions());
        Assert.True(double.IsNaN(score.Value));
        Assert.Equal(Reasons.EmptySaliency, score.Reason);
        Assert.True(double.IsNaN(Sss(new float[16], M, 4, 4, new SssOptions(null)).Value));
    }

    [Fact]
    public void Value_equal_to_threshold_is_dropped()
    {
        float[] map = [0.6f, 0.7f];
        byte[] mask = [1, 0];
        Assert.Equal(1.0, Sss(map, mask, 1, 2, new SssOptions()).Value);
    }

    [Fact]
    public void Tau_zero_is_applied_literally_in_exact_mode()
    {
        float[] map = [-1f, 0.5f, 0f, 0.5f];
        byte[] mask = [1, 1, 0, 0];
        // Values ≤ 0 dropped: inside .5, outside .5.
        Assert.Equal(0.5, Sss(map, mask, 2, 2, new SssOptions(0f)).Value, 1e-12);
    }

    [Fact]
    public void Relevance_is_one_minus_sss()
    {
        var metric = new SemanticSpuriosityScore(new SssOptions());
        var sample = new MapMaskSample(S, M, 4, 4);
        // float32 inputs: agree with the decimal vector to float32 precision, and exactly with 1 − SSS.
        Assert.Equal(0.6075757575757576, metric.Relevance(sample).Value, 1e-7);
        Assert.Equal(1 - metric.Evaluate(sample).Value, metric.Relevance(sample).Value, 1e-12);
    }

    [Fact]
    public void Long_maps_use_the_vector_path_and_agree_with_a_scalar_sum()
    {
        var rng = new Random(7);
        int n = 224 * 224;
        var map = new float[n];
        var mask = new byte[n];
        for (int i = 0; i < n; i++) { map[i] = (float)rng.NextDouble(); mask[i] = (byte)(rng.Next(3) == 0 ? 1 : 0); }
        double inside = 0, total = 0;
        for (int i = 0; i < n; i++) if (map[i] > 0.6f) { total += map[i]; if (mask[i] == 1) inside += map[i]; }
        var score = Sss(map, mask, 224, 224, new SssOptions());
        Assert.Equal((total - inside) / total, score.Value, 1e-12);
        var hard = Sss(map, mask, 224, 224, new SssOptions(0.6f, Hard: true));
        int cIn = 0, cAll = 0;
        for (int i = 0; i < n; i++) if (map[i] > 0.6f) { cAll++; cIn += mask[i]; }
        Assert.Equal((double)(cAll - cIn) / cAll, hard.Value, 1e-15);
    }

    [Fact]
    public void Sss_lies_in_unit_interval_and_complement_mask_gives_one_minus()
    {
        CsCheck.Gen.Float[0f, 1f].Array[16].Sample(map =>
        {
            var sample = new MapMaskSample(map, M, 4, 4);
            var complement = M.Select(b => (byte)(1 - b)).ToArray();
            var metric = new SemanticSpuriosityScore(new SssOptions(null));
            var a = metric.Evaluate(sample);
            if (!a.IsDefined) return;
            Assert.InRange(a.Value, 0, 1);
            var b = metric.Evaluate(new MapMaskSample(map, complement, 4, 4));
            Assert.Equal(1, a.Value + b.Value, 1e-9);
        });
    }

    [Fact]
    public void Negative_saliency_that_survives_thresholding_is_flagged_not_scored()
    {
        // Map [-1, 2], mask [1, 0]: without a threshold O/T = 2/1 = 2, not a share → NaN, negative-saliency.
        float[] map = [-1f, 2f];
        byte[] mask = [1, 0];
        foreach (bool compat in new[] { false, true })
        {
            var s = Sss(map, mask, 1, 2, new SssOptions(null, false, compat));
            Assert.True(double.IsNaN(s.Value));
            Assert.Equal("negative-saliency", s.Reason);
        }
        // τ = 0 in compat mode disables thresholding, so the negative value survives there too.
        Assert.Equal("negative-saliency", Sss(map, mask, 1, 2, new SssOptions(0f, false, true)).Reason);
        // A negative soft τ keeps values in (τ, 0): −1 > −2 survives; −1 ≤ −1 is dropped (strict), leaving O/T = 1.
        Assert.Equal("negative-saliency", Sss(map, mask, 1, 2, new SssOptions(-2f)).Reason);
        Assert.Equal(1.0, Sss(map, mask, 1, 2, new SssOptions(-1f)).Value);
        // τ ≥ 0 (soft or hard) drops negative values: the formula is unchanged, 2/2 = 1 outside.
        Assert.Equal(1.0, Sss(map, mask, 1, 2, new SssOptions(0.6f)).Value);
        Assert.Equal(1.0, Sss(map, mask, 1, 2, new SssOptions(0.6f, Hard: true)).Value);
        Assert.Equal(0.5, Sss(map, mask, 1, 2, new SssOptions(-5f, Hard: true)).Value); // S' = [1, 1]: no negative values
        // Relevance validates the same way.
        Assert.Equal("negative-saliency", new SemanticSpuriosityScore(new SssOptions(null)).Relevance(new MapMaskSample(map, mask, 1, 2)).Reason);
    }
}
