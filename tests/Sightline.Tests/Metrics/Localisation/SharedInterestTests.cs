using Sightline.Metrics;
using Sightline.Metrics.Localisation;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class SharedInterestTests
{
    private static (float[] Map, byte[] Mask) Instance(int gr0, int gr1, int gc0, int gc1, int sr0, int sr1, int sc0, int sc1, float value)
    {
        var map = new float[250 * 250];
        var mask = new byte[250 * 250];
        for (int r = gr0; r < gr1; r++) for (int c = gc0; c < gc1; c++) mask[r * 250 + c] = 1;
        for (int r = sr0; r < sr1; r++) for (int c = sc0; c < sc1; c++) map[r * 250 + c] = value;
        return (map, mask);
    }

    // Alignment spec §8 reference suite (mitvis/shared-interest tests): binary saliency regions.
    public static TheoryData<int, double, double, double, double> ReferenceSuite => new()
    {
        { 0, 0.1428571429, 0.25, 0.25, 0.25 },
        { 1, 0.25, 0.25, 1.0, 0.25 },
        { 2, 0.04, 1.0, 0.04, 1.0 },
        { 3, 0.0, 0.0, 0.0, 0.0 },
        { 4, 1.0, 1.0, 1.0, 1.0 },
    };

    private static (float[] Map, byte[] Mask) Case(int i) => i switch
    {
        0 => Instance(0, 100, 0, 100, 50, 150, 50, 150, 0.2f),
        1 => Instance(100, 250, 200, 250, 50, 250, 100, 250, 0.5f),
        2 => Instance(0, 250, 0, 250, 50, 100, 50, 100, 0.9f),
        3 => Instance(0, 1, 0, 1, 100, 150, 150, 250, 0.1f),
        _ => Instance(50, 100, 50, 100, 50, 100, 50, 100, 0.6f),
    };

    [Theory]
    [MemberData(nameof(ReferenceSuite))]
    public void Reference_suite_scores_match(int i, double iou, double sc, double gtc, double scSoft)
    {
        var (map, mask) = Case(i);
        // Binary saliency: threshold 0.5 on the min–max normalised map reproduces the binary region exactly.
        var rule = Binarization.Threshold(0.5);
        var sample = new MapMaskSample(map, mask, 250, 250, new SampleWorkspace());
        Assert.Equal(iou, new IouCoverage(rule).Evaluate(sample).Value, 1e-9);
        Assert.Equal(sc, new SaliencyCoverage(rule).Evaluate(sample).Value);
        Assert.Equal(gtc, new GroundTruthCoverage(rule).Evaluate(sample).Value, 1e-9);
        Assert.Equal(scSoft, new SoftSaliencyCoverage().Evaluate(sample).Value, 1e-9);
    }

    // Derived vector B (spec §8): 5×5 map, GT rows 1–3 × cols 1–3.
    private static readonly float[] B =
    [
        3, 1, 4, 1, 5,
        9, 2, 6, 5, 3,
        5, 8, 9, 7, 9,
        3, 2, 3, 8, 4,
        6, 2, 6, 4, 3,
    ];

    private static byte[] GtB()
    {
        var g = new byte[25];
        for (int r = 1; r <= 3; r++) for (int c = 1; c <= 3; c++) g[r * 5 + c] = 1;
        return g;
    }

    [Fact]
    public void Vector_B_std1_gives_iou_sc_gtc_of_the_spec()
    {
        var sample = new MapMaskSample(B, GtB(), 5, 5, new SampleWorkspace());
        var rule = Binarization.Std(1);
        Assert.Equal(3.0 / 11, new IouCoverage(rule).Evaluate(sample).Value, 1e-12);
        Assert.Equal(0.6, new SaliencyCoverage(rule).Evaluate(sample).Value, 1e-12);
        Assert.Equal(1.0 / 3, new GroundTruthCoverage(rule).Evaluate(sample).Value, 1e-12);
        Assert.Equal(50.0 / 118, new SoftSaliencyCoverage().Evaluate(sample).Value, 1e-12);
        Assert.Equal(50.0 / 118, new EnergyPointingGame().Evaluate(sample).Value, 1e-12);
    }

    [Fact]
    public void Empty_ground_truth_gives_nan_gtc_and_empty_both_gives_nan_iou()
    {
        var map = new float[16];
        map[3] = 1;
        var sample = new MapMaskSample(map, new byte[16], 4, 4);
        var gtc = new GroundTruthCoverage(Binarization.Std(1)).Evaluate(sample);
        Assert.True(double.IsNaN(gtc.Value));
        Assert.Equal(Reasons.EmptyMask, gtc.Reason);
        var constant = new MapMaskSample(new float[16], new byte[16], 4, 4);
        var iou = new IouCoverage(Binarization.Std(1)).Evaluate(constant);
        Assert.True(double.IsNaN(iou.Value));
        Assert.Equal(Reasons.EmptyBoth, iou.Reason);
        var sc = new SaliencyCoverage(Binarization.Std(1)).Evaluate(constant);
        Assert.Equal(Reasons.EmptySaliency, sc.Reason);
    }

    [Fact]
    public void Soft_coverage_of_mask_and_complement_sum_to_one()
    {
        CsCheck.Gen.Select(CsCheck.Gen.Float[-5f, 5f].Array[36], CsCheck.Gen.Byte[0, 1].Array[36]).Sample((map, mask) =>
        {
            var complement = mask.Select(b => (byte)(1 - b)).ToArray();
            var a = new SoftSaliencyCoverage().Evaluate(new MapMaskSample(map, mask, 6, 6));
            var b = new SoftSaliencyCoverage().Evaluate(new MapMaskSample(map, complement, 6, 6));
            if (!a.IsDefined) { Assert.False(b.IsDefined); return; }
            Assert.Equal(1.0, a.Value + b.Value, 1e-9);
        });
    }

    [Fact]
    public void Scores_are_bounded_and_invariant_to_pixel_permutation()
    {
        CsCheck.Gen.Select(CsCheck.Gen.Float[0f, 1f].Array[64], CsCheck.Gen.Byte[0, 1].Array[64], CsCheck.Gen.Int[0, 10000]).Sample((map, mask, seed) =>
        {
            var perm = Enumerable.Range(0, 64).ToArray();
            new Random(seed).Shuffle(perm);
            var map2 = perm.Select(i => map[i]).ToArray();
            var mask2 = perm.Select(i => mask[i]).ToArray();
            foreach (var metric in new IMapMaskMetric[] { new IouCoverage(Binarization.Std(1)), new GroundTruthCoverage(Binarization.Std(1)), new SaliencyCoverage(Binarization.Std(1)), new SoftSaliencyCoverage() })
            {
                var a = metric.Evaluate(new MapMaskSample(map, mask, 8, 8, new SampleWorkspace()));
                var b = metric.Evaluate(new MapMaskSample(map2, mask2, 8, 8, new SampleWorkspace()));
                if (a.IsDefined) Assert.InRange(a.Value, 0, 1);
                Assert.Equal(a.Value, b.Value, 1e-12);
            }
        });
    }
}
