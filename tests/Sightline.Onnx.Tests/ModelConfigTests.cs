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

    [Fact]
    public void Yaml_config_reads_the_same_fields_with_flow_and_block_lists_and_comments()
    {
        var c = ModelConfig.ParseYaml("""
            # exported from Keras
            input_size: [299, 300]   # H, W
            resize: 342
            crop: 299
            mean:
              - 103.9
              - 116.8
              - 123.7
            std: [1, 1, 1]
            channel_order: 'BGR'
            scale: 255
            layout: nhwc
            labels: ["cat", dog, 7]
            """, "model.yaml");

        Assert.Equal([299, 300], c.InputSize!);
        Assert.Equal(342, c.Resize);
        Assert.Equal(299, c.Crop);
        Assert.Equal([103.9f, 116.8f, 123.7f], c.Mean);
        Assert.Equal(ChannelOrder.Bgr, c.ChannelOrder);
        Assert.Equal(255f, c.Scale);
        Assert.Equal(Sightline.Models.InputLayout.Nhwc, c.Layout);
        Assert.Equal(["cat", "dog", "7"], c.Labels!);
    }

    [Theory]
    [InlineData("crop: 224\nmean:\n  nested: 1\n", 3)]
    [InlineData("crop: 224\n\tresize: 256\n", 2)]
    [InlineData("- 1\n", 1)]
    [InlineData("crop: 1\ncrop: 2\n", 2)]
    [InlineData("mean: [0.5, [1]]\n", 1)]
    [InlineData("labels: 'open\n", 1)]
    public void Yaml_outside_the_subset_is_an_error_with_the_line_number(string yaml, int line)
    {
        var e = Assert.Throws<InputDataException>(() => ModelConfig.ParseYaml(yaml, "m.yaml"));
        Assert.Contains($"m.yaml:{line}:", e.Message);
    }

    [Fact]
    public void Yaml_with_a_wrong_value_type_names_the_file_and_field()
    {
        var e = Assert.Throws<InputDataException>(() => ModelConfig.ParseYaml("crop: big\n", "m.yaml"));
        Assert.Contains("m.yaml", e.Message);
        Assert.Contains("crop", e.Message);
    }

    [Fact]
    public void Finds_a_yaml_config_beside_the_model_and_prefers_json_of_the_same_name()
    {
        string dir = Directory.CreateTempSubdirectory("sightline-onnx").FullName;
        try
        {
            string onnx = Path.Combine(dir, "resnet.onnx");
            File.WriteAllText(Path.Combine(dir, "model.yml"), "crop: 1\n");
            Assert.Equal(1, ModelConfig.ForModel(onnx).Crop);
            File.WriteAllText(Path.Combine(dir, "resnet.yaml"), "crop: 2 # own\n");
            Assert.Equal(2, ModelConfig.ForModel(onnx).Crop);
            File.WriteAllText(Path.Combine(dir, "resnet.json"), """{ "crop": 3 }""");
            Assert.Equal(3, ModelConfig.ForModel(onnx).Crop);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("{ \"layout\": \"nhwc\" }", Sightline.Models.InputLayout.Nhwc)]
    [InlineData("{ \"layout\": \"NCHW\" }", Sightline.Models.InputLayout.Nchw)]
    [InlineData("{ \"layout\": \"auto\" }", null)]
    public void Layout_is_nchw_nhwc_or_auto(string json, Sightline.Models.InputLayout? expected) =>
        Assert.Equal(expected, ModelConfig.Parse(json, "m.json").Layout);
}
