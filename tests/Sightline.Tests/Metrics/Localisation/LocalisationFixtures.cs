using CsCheck;
using Sightline.Metrics;

namespace Sightline.Tests.Metrics.Localisation;

/// <summary>A map, a mask and their shape: one sample of a localisation test.</summary>
public sealed record MapMaskCase(float[] Map, byte[] Mask, int Height, int Width)
{
    public Score Evaluate(IMapMaskMetric metric, SampleWorkspace? workspace = null) =>
        metric.Evaluate(new MapMaskSample(Map, Mask, Height, Width, workspace));

    public MapMaskCase WithMap(Func<float, float> f) => this with { Map = [.. Map.Select(f)] };

    public MapMaskCase Complement() => this with { Mask = [.. Mask.Select(m => (byte)(1 - m))] };

    public override string ToString() =>
        $"{Height}×{Width} map=[{string.Join(",", Map)}] mask=[{string.Join("", Mask)}]";
}

/// <summary>
/// The Quantus localisation fixtures (spec §9): s and e regions as half-open slices of a 224×224 map (or a 1×224 map for the
/// 1-D cases), a "rand" background U(0, 0.1) from a seeded <see cref="Random"/>, or zeros, with e = 1 in the e-region.
/// </summary>
public static class LocalisationFixtures
{
    public const int Size = 224;

    public enum Background { Zeros, Rand }

    /// <summary>A 2-D fixture: rows [r0,r1) × columns [c0,c1) for s and for e.</summary>
    public static MapMaskCase Make2d((int R0, int R1, int C0, int C1) s, (int R0, int R1, int C0, int C1) e,
        Background background, int seed = 7, float value = 1f, float backgroundMax = 0.1f)
    {
        var mask = new byte[Size * Size];
        var map = new float[Size * Size];
        var rng = new Random(seed);
        for (int r = 0; r < Size; r++)
        {
            for (int c = 0; c < Size; c++)
            {
                int p = r * Size + c;
                if (r >= s.R0 && r < s.R1 && c >= s.C0 && c < s.C1) mask[p] = 1;
                bool inE = r >= e.R0 && r < e.R1 && c >= e.C0 && c < e.C1;
                float bg = background == Background.Rand ? (float)(rng.NextDouble() * backgroundMax) : 0f;
                map[p] = inE ? value : bg;
            }
        }
        return new MapMaskCase(map, mask, Size, Size);
    }

    /// <summary>A 1-D fixture, modelled as a 1×224 map: positions [c0,c1) for s and for e.</summary>
    public static MapMaskCase Make1d((int C0, int C1) s, (int C0, int C1) e, Background background, int seed = 7)
    {
        var c2 = Make2d((0, 1, s.C0, s.C1), (0, 1, e.C0, e.C1), background, seed);
        return new MapMaskCase(c2.Map[..Size], c2.Mask[..Size], 1, Size);
    }

    public static MapMaskCase AllInGt2d(Background bg) => Make2d((50, 150, 50, 150), (50, 150, 50, 150), bg);
    public static MapMaskCase AllInGt1d(Background bg) => Make1d((50, 150), (50, 150), bg);
    public static MapMaskCase AllInGtNonNormalised2d() => Make2d((50, 150, 50, 150), (50, 150, 50, 150), Background.Rand, value: 25f, backgroundMax: 20f);
    public static MapMaskCase SegBigger2d() => Make2d((0, 150, 0, 150), (50, 150, 50, 150), Background.Rand);
    public static MapMaskCase SegBigger1d() => Make1d((0, 150), (50, 150), Background.Rand);
    public static MapMaskCase NoneInGt2d(Background bg) => Make2d((0, 100, 0, 100), (100, 200, 100, 200), bg);
    public static MapMaskCase NoneInGt1d(Background bg) => Make1d((0, 100), (100, 200), bg);
    public static MapMaskCase NoneInGtFourth2d() => Make2d((0, 112, 0, 112), (112, 224, 112, 224), Background.Zeros);
    public static MapMaskCase NoneInGtFourth1d() => Make1d((0, 112), (112, 224), Background.Zeros);
    public static MapMaskCase HalfInGt2d() => Make2d((50, 100, 50, 100), (0, 100, 75, 100), Background.Rand);
    public static MapMaskCase HalfInGtZeros2d() => Make2d((0, 50, 50, 100), (0, 100, 75, 100), Background.Zeros);
    public static MapMaskCase HalfInGt1d(Background bg) => Make1d((50, 100), (0, 100), bg);

    /// <summary>x 2×2, s = [[1,0],[0,1]], e = [[.9,.1],[.2,.8]] (extra tiny case A).</summary>
    public static MapMaskCase TinyAligned() => new([0.9f, 0.1f, 0.2f, 0.8f], [1, 0, 0, 1], 2, 2);

    /// <summary>x 2×2, s = [[1,0],[0,1]], e = [[.9,.7],[.2,.1]] (extra tiny case B).</summary>
    public static MapMaskCase TinyHalf() => new([0.9f, 0.7f, 0.2f, 0.1f], [1, 0, 0, 1], 2, 2);

    /// <summary>A map of the given shape with an empty mask.</summary>
    public static MapMaskCase EmptyMask(int h = 4, int w = 5) =>
        new([.. Enumerable.Range(0, h * w).Select(i => (float)(i % 3))], new byte[h * w], h, w);

    /// <summary>Σ of the map outside the mask, in float64 (for expected values built from the fixture itself).</summary>
    public static double SumOutside(MapMaskCase c) => c.Map.Zip(c.Mask).Where(t => t.Second == 0).Sum(t => (double)t.First);

    /// <summary>
    /// Small random samples (1..8 × 1..8) whose values come from a small set, so ties are common; masks are random
    /// 0/1. <paramref name="signed"/> allows negative values.
    /// </summary>
    public static Gen<MapMaskCase> SmallCases(bool signed = false) =>
        from h in Gen.Int[1, 8]
        from w in Gen.Int[1, 8]
        from values in Gen.Int[signed ? -4 : 0, 8].Array[h * w]
        from mask in Gen.Int[0, 1].Array[h * w]
        select new MapMaskCase([.. values.Select(v => v / 4f)], [.. mask.Select(m => (byte)m)], h, w);

    /// <summary>Small random samples whose mask and complement are both non-empty.</summary>
    public static Gen<MapMaskCase> SmallCasesWithBothClasses(bool signed = false) =>
        SmallCases(signed).Where(c => c.Mask.Contains((byte)1) && c.Mask.Contains((byte)0));

    /// <summary>Bounds of every defined score.</summary>
    public static void AssertBounded(IMapMaskMetric metric, Gen<MapMaskCase> cases, double min = 0, double max = 1) =>
        cases.Sample(c =>
        {
            var s = c.Evaluate(metric);
            if (s.IsDefined) Assert.InRange(s.Value, min, max);
            else Assert.NotNull(s.Reason);
        }, iter: 500);

    /// <summary>
    /// A metric gives bit-identical scores without a workspace, with a fresh one, and with one workspace reused (reset)
    /// across a run of different samples, as the pipeline does.
    /// </summary>
    public static void AssertWorkspaceInvariant(IMapMaskMetric metric) =>
        SmallCases(signed: true).Array[1, 6].Sample(cases =>
        {
            var shared = new SampleWorkspace();
            foreach (var c in cases)
            {
                shared.Reset();
                var withShared = c.Evaluate(metric, shared);
                var again = c.Evaluate(metric, shared);
                var fresh = c.Evaluate(metric, new SampleWorkspace());
                var none = c.Evaluate(metric);
                Assert.Equal(none, fresh);
                Assert.Equal(none, withShared);
                Assert.Equal(none, again);
            }
        }, iter: 300);
}
