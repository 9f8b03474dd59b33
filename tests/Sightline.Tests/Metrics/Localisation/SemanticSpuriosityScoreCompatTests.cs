using Sightline.Metrics;
using Sightline.Metrics.Localisation;
using static Sightline.Tests.Metrics.Localisation.LocalisationFixtures;

namespace Sightline.Tests.Metrics.Localisation;

/// <summary>
/// <c>--sss-compat</c> against SemScore's reference formula run by NumPy 1.24 (tools/fixtures/numpy_sums.py): 28×28
/// and 224×224 maps on the 0.1 grid (values tie with τ), random and disc masks, τ = 0.6, 0.3, none and hard.
/// </summary>
public sealed class SemanticSpuriosityScoreCompatTests
{
    [Fact]
    public void Compat_mode_reproduces_the_reference_bit_for_bit_on_grid_maps()
    {
        var cases = NumpySumFixtures.Sss();
        Assert.Contains(cases, c => c.Size == 224);
        Assert.Contains(cases, c => c.Size == 28 && c.Tau is null);
        var mismatches = new List<string>();
        var workspace = new SampleWorkspace();
        foreach (var c in cases)
        {
            var map = NumpySumFixtures.GridMap(c.Seed, c.Size);
            var mask = NumpySumFixtures.Mask(c.Seed, c.Size, c.MaskKind);
            var metric = new SemanticSpuriosityScore(new SssOptions(c.Tau, c.Hard, ReferenceCompat: true));
            workspace.Reset();
            var score = metric.Evaluate(new MapMaskSample(map, mask, c.Size, c.Size, workspace));
            Assert.Equal(score, metric.Evaluate(new MapMaskSample(map, mask, c.Size, c.Size)));
            if (BitConverter.DoubleToInt64Bits(score.Value) != BitConverter.DoubleToInt64Bits(c.Expected))
                mismatches.Add($"{c.Size}² seed {c.Seed} mask {c.MaskKind} τ {c.Tau?.ToString() ?? "none"} hard {c.Hard}: {score.Value:R} vs {c.Expected:R} (I {c.Inside}, O {c.Outside})");
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {cases.Count} differ:\n" + string.Join('\n', mismatches.Take(20)));
    }

    [Fact]
    public void The_fixture_has_cases_where_summation_order_decides_the_truncated_sums()
    {
        // The compacted float32 sums straddle an integer differently from exact sums on some rows: without those rows
        // the fixture could not tell the NumPy order from any other.
        int orderSensitive = 0;
        foreach (var c in NumpySumFixtures.Sss().Where(c => !c.Hard))
        {
            var map = NumpySumFixtures.GridMap(c.Seed, c.Size);
            var mask = NumpySumFixtures.Mask(c.Seed, c.Size, c.MaskKind);
            double inside = 0, outside = 0;
            for (int p = 0; p < map.Length; p++)
            {
                float v = c.Tau is float t && !(map[p] > t) ? 0f : map[p];
                if (mask[p] != 0) inside += v; else outside += v;
            }
            if ((long)inside != c.Inside || (long)outside != c.Outside) orderSensitive++;
        }
        Assert.True(orderSensitive >= 10, $"{orderSensitive} rows");
    }

    [Fact]
    public void Workspace_does_not_change_compat_scores()
    {
        AssertWorkspaceInvariant(new SemanticSpuriosityScore(new SssOptions(0.25f, ReferenceCompat: true)));
        AssertWorkspaceInvariant(new SemanticSpuriosityScore(new SssOptions(0f, ReferenceCompat: true)));
    }
}
