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

    // Float32 inputs wide enough for the vector passes (64-value blocks of activations, 16-label vectors plus a tail).
    private const int FSamples = 41, FNeurons = 70, FConcepts = 37;

    private static (float[] A, float[] C) ValidFloats()
    {
        var rng = new Random(8);
        return ([.. Enumerable.Range(0, FSamples * FNeurons).Select(_ => (float)(rng.NextDouble() * 10 - 5))],
                [.. Enumerable.Range(0, FSamples * FConcepts).Select(i => i % 3 == 0 ? (float)rng.NextDouble() : i % 2)]);
    }

    [Theory]
    [InlineData(float.NaN, 0)]
    [InlineData(float.PositiveInfinity, 63)]
    [InlineData(float.NegativeInfinity, 64)]
    [InlineData(float.NaN, 2869)]
    [InlineData(float.PositiveInfinity, 1500)]
    public void A_non_finite_float32_activation_gets_the_message_of_the_double_check(float bad, int at)
    {
        var (a, c) = ValidFloats();
        a[at] = bad;
        a[2000] = float.NaN; // a later one is not the one named
        if (at > 2000) a[2000] = 1;
        var e = Assert.Throws<InputDataException>(() => NeuronProbe.FromRowMajor(a, c, FSamples, FNeurons, FConcepts));
        var d = Assert.Throws<InputDataException>(() => NeuronProbe.FromRowMajor([.. a.Select(x => (double)x)], [.. c.Select(x => (double)x)], FSamples, FNeurons, FConcepts));
        Assert.Equal(d.Message, e.Message);
        Assert.Contains($"at input {at / FNeurons}, neuron {at % FNeurons} is not finite", e.Message);
    }

    [Theory]
    [InlineData(float.NaN, 3)]
    [InlineData(-0.25f, 15)]
    [InlineData(1.0000001f, 16)]
    [InlineData(float.PositiveInfinity, 36)]
    [InlineData(2f, 1516)]
    public void A_float32_label_outside_0_1_gets_the_message_of_the_double_check(float bad, int at)
    {
        var (a, c) = ValidFloats();
        c[at] = bad;
        c[1516 - 37] = at < 1516 - 37 ? -1 : 0; // only the first bad label is named
        var e = Assert.Throws<InputDataException>(() => NeuronProbe.FromRowMajor(a, c, FSamples, FNeurons, FConcepts));
        var d = Assert.Throws<InputDataException>(() => NeuronProbe.FromRowMajor([.. a.Select(x => (double)x)], [.. c.Select(x => (double)x)], FSamples, FNeurons, FConcepts));
        Assert.Equal(d.Message, e.Message);
        Assert.Contains($"at input {at / FConcepts}, concept {at % FConcepts} is not in [0, 1]", e.Message);
    }

    [Fact]
    public void A_bad_activation_is_reported_before_a_bad_label_on_float32_inputs_too()
    {
        var (a, c) = ValidFloats();
        a[100] = float.NaN;
        c[0] = 3;
        var e = Assert.Throws<InputDataException>(() => NeuronProbe.FromRowMajor(a, c, FSamples, FNeurons, FConcepts));
        Assert.StartsWith("Activations", e.Message);
    }
}
