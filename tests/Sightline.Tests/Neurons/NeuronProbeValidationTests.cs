using Sightline.Neurons;

namespace Sightline.Tests.Neurons;

/// <summary>The probe's vectorised input checks still find and name every bad value, wherever it sits.</summary>
public sealed class NeuronProbeValidationTests
{
    private const int Samples = 37, Neurons = 3, Concepts = 5;

    private static (double[] A, double[] C) Valid()
    {
        var rng = new Random(7);
        return ([.. Enumerable.Range(0, Samples * Neurons).Select(_ => rng.NextDouble() * 10 - 5)],
                [.. Enumerable.Range(0, Samples * Concepts).Select(i => i % 3 == 0 ? rng.NextDouble() : i % 2)]);
    }

    [Theory]
    [InlineData(double.NaN, 0)]
    [InlineData(double.PositiveInfinity, 58)]
    [InlineData(double.NegativeInfinity, 110)]
    public void A_non_finite_activation_is_named_by_input_and_neuron(double bad, int at)
    {
        var (a, c) = Valid();
        a[at] = bad;
        var e = Assert.Throws<InputDataException>(() => NeuronProbe.FromRowMajor(a, c, Samples, Neurons, Concepts));
        Assert.Contains($"at input {at / Neurons}, neuron {at % Neurons} is not finite", e.Message);
    }

    [Theory]
    [InlineData(double.NaN, 3)]
    [InlineData(-0.25, 99)]
    [InlineData(1.0000001, 184)]
    [InlineData(double.PositiveInfinity, 40)]
    public void A_concept_label_outside_0_1_is_named_by_input_and_concept(double bad, int at)
    {
        var (a, c) = Valid();
        c[at] = bad;
        var e = Assert.Throws<InputDataException>(() => NeuronProbe.FromRowMajor(a, c, Samples, Neurons, Concepts));
        Assert.Contains($"at input {at / Concepts}, concept {at % Concepts} is not in [0, 1]", e.Message);
    }

    [Fact]
    public void Labels_of_exactly_0_and_1_and_minus_0_are_accepted_and_the_concept_sets_take_c_at_least_one_half()
    {
        var (a, c) = Valid();
        c[0] = -0.0; c[1] = 1; c[2] = 0.5; c[3] = 0.4999999;
        var probe = NeuronProbe.FromRowMajor(a, c, Samples, Neurons, Concepts);
        var sets = probe.ConceptSets();
        for (int t = 0; t < Concepts; t++)
            Assert.Equal(Enumerable.Range(0, Samples).Where(i => c[i * Concepts + t] >= 0.5).ToArray(), sets.Indices[t]);
    }
}
