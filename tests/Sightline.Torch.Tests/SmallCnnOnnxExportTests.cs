using Sightline.Onnx.Graph;
using Sightline.Onnx.Runtime;
using Sightline.Torch.Training;
using TorchSharp;

namespace Sightline.Torch.Tests;

/// <summary>
/// <see cref="SmallCnn.SaveOnnx"/> (written by <see cref="OnnxModelWriter"/>) must be a model every ONNX consumer reads
/// as the same network: ONNX Runtime's logits, and the lowered graph's gradients and CAM-layer activations, equal the
/// TorchSharp network's.
/// </summary>
public sealed class SmallCnnOnnxExportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sightline-smallcnn-onnx-").FullName;

    public SmallCnnOnnxExportTests() => TorchRuntime.EnsureInitialized();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void The_exported_model_gives_the_networks_logits_gradients_and_cam_layer_on_both_back_ends()
    {
        const int n = 4;
        torch.manual_seed(3);
        using var model = new SmallCnnModel(new SmallCnn(10), "small", [3, 28, 28], 10);
        var rng = new Random(9);
        var x = Enumerable.Range(0, n * 3 * 28 * 28).Select(_ => (float)rng.NextDouble()).ToArray();
        int[] targets = [0, 4, 9, 2];
        var path = Path.Combine(_dir, "small.onnx");
        model.Network.SaveOnnx(path, [3, 28, 28]);

        var proto = OnnxModelProto.Load(path);
        Assert.Equal(13, proto.OpsetVersion);
        Assert.Equal(["input"], proto.Graph.Inputs.Select(i => i.Name));
        Assert.Equal(["logits"], proto.Graph.Outputs.Select(o => o.Name));

        var expected = new float[n * 10];
        model.Forward(x, n, expected);
        using (var ort = OnnxRuntimeModel.Open(path))
        {
            Assert.Equal([3, 28, 28], ort.InputShape);
            var logits = new float[n * 10];
            ort.Forward(x, n, logits);
            for (int i = 0; i < logits.Length; i++) Assert.Equal(expected[i], logits[i], 4e-5f);
        }

        var gradExpected = new float[x.Length];
        model.InputGradients(x, n, targets, gradExpected, new float[n * 10]);
        var actExpected = new float[n * 32 * 14 * 14];
        var actGradExpected = new float[actExpected.Length];
        model.LayerActivations(SmallCnn.FeatureLayer, x, n, targets, actExpected, actGradExpected, new float[n * 10]);
        using var lowered = new OnnxTorchModel(path);
        Assert.Contains(lowered.Layers, l => l.Name == SmallCnn.FeatureLayer && l.Shape.SequenceEqual([32, 14, 14]));
        var grad = new float[x.Length];
        lowered.InputGradients(x, n, targets, grad, new float[n * 10]);
        for (int i = 0; i < grad.Length; i++) Assert.Equal(gradExpected[i], grad[i], 1e-5f);
        var act = new float[actExpected.Length];
        var actGrad = new float[actExpected.Length];
        lowered.LayerActivations(SmallCnn.FeatureLayer, x, n, targets, act, actGrad, new float[n * 10]);
        for (int i = 0; i < act.Length; i++)
        {
            Assert.Equal(actExpected[i], act[i], 1e-5f);
            Assert.Equal(actGradExpected[i], actGrad[i], 1e-6f);
        }
    }
}
