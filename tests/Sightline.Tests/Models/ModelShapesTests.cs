using Sightline.Models;

namespace Sightline.Tests.Models;

public sealed class ModelShapesTests
{
    [Theory]
    [InlineData(new long[] { 10 }, 10)]
    [InlineData(new long[] { }, 1)]
    [InlineData(new long[] { 3, 1, 1 }, 3)]
    [InlineData(new long[] { 1 }, 1)]
    public void Class_logits_are_n_by_k_or_n_by_k_with_trailing_ones(long[] perSample, int k) =>
        Assert.Equal(k, ModelShapes.ClassCount("m.onnx", "y", perSample));

    [Theory]
    [InlineData(new long[] { 4, 32, 32 }, "N×4×32×32")]
    [InlineData(new long[] { 1, 10 }, "N×1×10")]
    [InlineData(new long[] { 100, 85 }, "N×100×85")]
    [InlineData(new long[] { 0 }, "N×0")]
    public void Other_outputs_are_refused_naming_the_file_output_and_shape(long[] perSample, string shape)
    {
        var e = Assert.Throws<InputDataException>(() => ModelShapes.ClassCount("seg.onnx", "out", perSample));
        Assert.Contains("seg.onnx", e.Message);
        Assert.Contains("'out'", e.Message);
        Assert.Contains(shape, e.Message);
    }

    [Fact]
    public void Sample_sizes_are_counted_without_overflow_and_absurd_ones_refused()
    {
        Assert.Equal(3 * 224 * 224, ModelShapes.SampleValues("m.onnx", "x", [3, 224, 224]));
        Assert.Equal((int)ModelShapes.MaxSampleValues, ModelShapes.SampleValues("m.onnx", "x", [1, 1 << 14, 1 << 14]));
        foreach (long[] dims in new[] { new long[] { 3, 100000, 100000 }, [1, (1 << 14) + 1, 1 << 14], [int.MaxValue, int.MaxValue, int.MaxValue], [long.MaxValue, 2, 2] })
        {
            var e = Assert.Throws<InputDataException>(() => ModelShapes.SampleValues("huge.onnx", "x", dims));
            Assert.Contains("huge.onnx", e.Message);
            Assert.Contains(string.Join("×", dims), e.Message);
        }
        Assert.Throws<InputDataException>(() => ModelShapes.SampleValues("m.onnx", "x", [3, 0, 4]));
    }
}
