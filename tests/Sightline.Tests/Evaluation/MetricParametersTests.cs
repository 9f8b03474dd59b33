using Sightline.Evaluation;

namespace Sightline.Tests.Evaluation;

public sealed class MetricParametersTests
{
    private sealed record SampleOptions : MetricOptions
    {
        public SampleOptions() => Abs = true;
        public int FeaturesInStep { get; init; } = 1;
        public PerturbBaseline PerturbBaseline { get; init; } = PerturbBaseline.Black;
        public int[] PatchSizes { get; init; } = [4];
        public double? LowerBound { get; init; } = 0.2;
    }

    [Theory]
    [InlineData("FeaturesInStep", "features_in_step")]
    [InlineData("PerturbBaseline", "perturb_baseline")]
    [InlineData("Abs", "abs")]
    [InlineData("NormaliseFunc", "normalise_func")]
    [InlineData("TopNSign", "top_n_sign")]
    [InlineData("NrRuns", "nr_runs")]
    public void Property_names_map_to_quantus_argument_names(string pascal, string snake) =>
        Assert.Equal(snake, MetricParameters.SnakeCase(pascal));

    [Fact]
    public void Bind_parses_every_kind_of_value_and_keeps_the_defaults_object()
    {
        var defaults = new SampleOptions();
        var bound = MetricParameters.Bind(defaults, [new("features_in_step", "4"), new("perturb_baseline", "uniform"),
            new("patch_sizes", "4, 8"), new("abs", "false"), new("lower_bound", "none"), new("normalise_func", "by_negative")], "m");
        Assert.Equal(4, bound.FeaturesInStep);
        Assert.Equal(PerturbBaseline.Uniform, bound.PerturbBaseline);
        Assert.Equal([4, 8], bound.PatchSizes);
        Assert.False(bound.Abs);
        Assert.Null(bound.LowerBound);
        Assert.Equal(Normalisation.ByNegative, bound.NormaliseFunc);
        Assert.Equal(1, defaults.FeaturesInStep);
        Assert.True(defaults.Abs);
    }

    [Theory]
    [InlineData("features_in_step", "two", "not an integer")]
    [InlineData("perturb_baseline", "grey", "black, white, mean, uniform, zero")]
    [InlineData("abs", "maybe", "not true or false")]
    [InlineData("lower_bound", "NaN", "not a number")]
    public void Bad_values_are_input_errors_naming_the_option(string key, string value, string expected)
    {
        var e = Assert.Throws<InputDataException>(() => MetricParameters.Bind(new SampleOptions(), [new(key, value)], "m"));
        Assert.Contains($"m.{key}={value}", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Keys_list_own_options_before_common_ones()
    {
        var keys = MetricParameters.Keys(typeof(SampleOptions));
        Assert.Equal(["features_in_step", "perturb_baseline", "patch_sizes", "lower_bound", "normalise", "normalise_func", "abs"], keys);
        Assert.True(MetricParameters.Has(typeof(SampleOptions), "FEATURES-IN-STEP"));
    }

    [Fact]
    public void Describe_formats_values_for_summaries()
    {
        var d = MetricParameters.Describe(new SampleOptions());
        Assert.Equal("black", d["perturb_baseline"]);
        Assert.Equal("4", d["patch_sizes"]);
        Assert.Equal("true", d["abs"]);
        Assert.Equal("by_max", d["normalise_func"]);
    }
}
