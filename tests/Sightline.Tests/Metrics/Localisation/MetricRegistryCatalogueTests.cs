using Sightline.Metrics;

namespace Sightline.Tests.Metrics.Localisation;

public sealed class MetricRegistryCatalogueTests
{
    public static TheoryData<string> CatalogueNames => [.. MetricRegistry.CatalogueOrder];

    [Theory]
    [MemberData(nameof(CatalogueNames))]
    public void Every_catalogue_name_is_registered_exactly_once(string name)
    {
        Assert.Single(MetricRegistry.MapMask, d => d.Name == name);
        Assert.NotNull(MetricRegistry.Get(name).Create(LocalisationSettings.Default));
    }

    [Fact]
    public void Registry_lists_the_catalogue_in_catalogue_order() =>
        Assert.Equal(MetricRegistry.CatalogueOrder, MetricRegistry.MapMask.Take(MetricRegistry.CatalogueOrder.Count).Select(d => d.Name));

    [Fact]
    public void Every_localisation_metric_cites_its_paper()
    {
        foreach (var d in MetricRegistry.MapMask.Where(d => d.Info.Family == MetricFamily.Localisation))
        {
            Assert.False(string.IsNullOrWhiteSpace(d.Info.Citation), d.Name);
            Assert.False(string.IsNullOrWhiteSpace(d.Info.Summary), d.Name);
        }
    }
}
