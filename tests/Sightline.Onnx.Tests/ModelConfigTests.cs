using Sightline.Onnx.Runtime;

namespace Sightline.Onnx.Tests;

public sealed class ModelConfigTests
{
    [Fact]
    public void Defaults_are_imagenet_rgb_unit_scale()
    {
        var c = ModelConfig.Parse("{}", "model.json");

        Assert.Equal(ModelConfig.ImageNetMean, c.Mean);
        Assert.Equal(ModelConfig.ImageNetStd, c.Std);
        Assert.Equal(ChannelOrder.Rgb, c.ChannelOrder);
        Assert.Equal(1f, c.Scale);
        Assert.Null(c.InputSize);
        Assert.Null(c.Labels);
        Assert.Equal("7", c.Label(7));
    }

    [Fact]
    public void Reads_every_field()
    {
        var c = ModelConfig.Parse("""
            { "input_size": [299, 300], "resize": 342, "crop": 299, "mean": [103.9, 116.8, 123.7], "std": [1, 1, 1],
              "channel_order": "BGR", "scale": 255, "labels": ["cat", "dog"], }
            """, "model.json");

        Assert.Equal([299, 300], c.InputSize!);
        Assert.Equal(342, c.Resize);
        Assert.Equal(299, c.Crop);
        Assert.Equal([103.9f, 116.8f, 123.7f], c.Mean);
        Assert.Equal(ChannelOrder.Bgr, c.ChannelOrder);
        Assert.Equal(255f, c.Scale);
        Assert.Equal("dog", c.Label(1));
    }

    [Theory]
    [InlineData("{ \"mean\": [0.5], \"std\": [0.5, 0.5] }")]
    [InlineData("{ \"channel_order\": \"hsv\" }")]
    [InlineData("{ \"input_size\": [224] }")]
    [InlineData("{ \"std\": [0, 1, 1] }")]
    [InlineData("{ \"unknown_field\": 1 }")]
    [InlineData("not json")]
    public void Invalid_config_throws_naming_the_file(string json)
    {
        var e = Assert.Throws<InputDataException>(() => ModelConfig.Parse(json, "resnet.json"));
        Assert.Contains("resnet.json", e.Message);
    }

    [Fact]
    public void Finds_model_specific_file_before_shared_one()
    {
        string dir = Directory.CreateTempSubdirectory("sightline-onnx").FullName;
        try
        {
            string onnx = Path.Combine(dir, "resnet.onnx");
            Assert.Same(ModelConfig.Default, ModelConfig.ForModel(onnx));
            File.WriteAllText(Path.Combine(dir, "model.json"), """{ "crop": 1 }""");
            Assert.Equal(1, ModelConfig.ForModel(onnx).Crop);
            File.WriteAllText(Path.Combine(dir, "resnet.json"), """{ "crop": 2 }""");
            Assert.Equal(2, ModelConfig.ForModel(onnx).Crop);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
