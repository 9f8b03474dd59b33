using Sightline.Metrics;

namespace Sightline.Tests;

public sealed class MetricRegistryTests
{
    [Fact]
    public void Registry_lists_sss_first()
    {
        Assert.Equal("sss", MetricRegistry.MapMask[0].Name);
    }
}
