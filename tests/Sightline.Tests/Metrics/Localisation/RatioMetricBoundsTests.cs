using CsCheck;
using Sightline.Metrics;
using Sightline.Metrics.Localisation;
using static Sightline.Tests.Metrics.Localisation.LocalisationFixtures;

namespace Sightline.Tests.Metrics.Localisation;

/// <summary>
/// Every metric that divides by a sum of attributions stays within its documented bounds or is NaN with a reason,
/// on signed maps, including maps whose positive and negative parts cancel exactly.
/// </summary>
public sealed class RatioMetricBoundsTests
{
    private static readonly (string Name, IMapMaskMetric Metric, double Min, double Max)[] UnitInterval =
    [
        ("attribution_localisation", new AttributionLocalisation(), 0, 1),
        ("attribution_localisation_weighted", new WeightedAttributionLocalisation(), 0, 1),
        ("energy_pointing_game", new EnergyPointingGame(), 0, 1),
        ("sc_soft", new SoftSaliencyCoverage(), 0, 1),
        ("focus", new Focus(), 0, 1),
        ("sss τ 0.6", new SemanticSpuriosityScore(new SssOptions()), 0, 1),
        ("sss none", new SemanticSpuriosityScore(new SssOptions(null)), 0, 1),
        ("sss τ −0.5", new SemanticSpuriosityScore(new SssOptions(-0.5f)), 0, 1),
        ("sss hard", new SemanticSpuriosityScore(new SssOptions(0.6f, Hard: true)), 0, 1),
        // Compat: I and T are float32 sums in different orders, so the score may leave [0, 1] by float32 rounding.
        ("sss compat", new SemanticSpuriosityScore(new SssOptions(0.6f, ReferenceCompat: true)), -1e-6, 1 + 1e-6),
    ];

    private static Gen<MapMaskCase> SignedCases() =>
        Gen.OneOf(SmallCases(signed: true), SignedMaps.Cancelling(),
            Gen.Int[0, 20].Select(i => new MapMaskCase(SignedMaps.CancellingLobes(4 + i % 12, 6 + i % 9, 1.5 + i % 4), SignedMaps.Disc(8, 8, 3 + i % 7), 28, 28)));

    [Fact]
    public void Share_metrics_stay_in_their_bounds_or_are_undefined_with_a_reason() =>
        SignedCases().Sample(c =>
        {
            foreach (var (name, metric, min, max) in UnitInterval)
            {
                var s = c.Evaluate(metric);
                if (s.IsDefined) Assert.True(s.Value >= min && s.Value <= max, $"{name}: {s.Value}");
                else Assert.NotNull(s.Reason);
            }
        }, iter: 1000);

    [Fact]
    public void Relevance_mass_accuracy_stays_within_its_signed_bound_or_is_undefined() =>
        SignedCases().Sample(c =>
        {
            var s = c.Evaluate(new RelevanceMassAccuracy());
            if (!s.IsDefined)
            {
                Assert.NotNull(s.Reason);
                return;
            }
            // |RMA| ≤ Σ_S|a| / |Σa| < 2²³ (AttributionMass), computed here in float64 from the map.
            double insideAbs = 0, total = 0;
            for (int p = 0; p < c.Map.Length; p++)
            {
                total += c.Map[p];
                if (c.Mask[p] != 0) insideAbs += Math.Abs(c.Map[p]);
            }
            Assert.True(Math.Abs(s.Value) < 1 << 23, $"{s.Value}");
            Assert.True(Math.Abs(s.Value) <= insideAbs / Math.Abs(total) * (1 + 1e-6) + 1e-12, $"{s.Value} vs {insideAbs}/{total}");
        }, iter: 1000);

    [Fact]
    public void Maps_whose_exact_sum_is_zero_leave_every_share_metric_defined_but_relevance_mass_undefined()
    {
        // Cancelling lobes: |a| and a⁺ still have mass, so the |a|- and a⁺-based shares are defined; only the signed
        // total (RMA's denominator) is zero.
        var map = SignedMaps.CancellingLobes(7, 7, 2.0);
        var sample = new MapMaskCase(map, SignedMaps.Disc(7, 7, 8), 28, 28);
        Assert.Equal(Reasons.EmptySaliency, sample.Evaluate(new RelevanceMassAccuracy()).Reason);
        Assert.InRange(sample.Evaluate(new AttributionLocalisation()).Value, 0.49, 0.5);
        Assert.InRange(sample.Evaluate(new EnergyPointingGame()).Value, 0.99, 1.0);
        Assert.InRange(sample.Evaluate(new SoftSaliencyCoverage()).Value, 0.49, 0.5);
    }
}
