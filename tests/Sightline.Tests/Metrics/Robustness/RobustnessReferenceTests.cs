using System.Text.Json;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.IO;
using Sightline.Metrics.Robustness;
using Sightline.Onnx.Runtime;
using Sightline.Tests.Cli;
using Xunit.Abstractions;

namespace Sightline.Tests.Metrics.Robustness;

/// <summary>
/// Agreement with tools/fixtures/evaluate_robustness.py (PyTorch float64, Quantus semantics with the §8 fixes) on the
/// committed resnet_tiny fixture, re-explained with Occlusion (window 8, stride 8) on ONNX Runtime (float32). The
/// stochastic metrics get the script's deterministic perturbations through their internal overloads; continuity runs as is.
/// </summary>
public sealed class RobustnessReferenceTests(ITestOutputHelper log)
{
    private const string Layer = "/features/features.5/relu_1/Relu_output_0";

    private static string Models(string name) => Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "models", name);

    private static readonly Lazy<JsonElement> Reference = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AlignCommandTests.RepoRoot(), "tests", "fixtures", "evaluate", "robustness", "resnet_tiny_occlusion.json"))).RootElement);

    private static Perturb Noise(string kind) => (i, k, x, xp) =>
    {
        for (int j = 0; j < x.Length; j++)
        {
            double s = Math.Sin(0.37 * j + 1.3 * k + 0.7 * i + 0.1);
            double d = kind switch { "sens" => 0.2 * s, "lle" => 0.1 * s, _ => 0.02 + 0.09 * k * (0.5 + 0.5 * s) };
            xp[j] = (float)(x[j] + d);
        }
    };

    private static EvaluationBatch Batch(OnnxRuntimeModel model)
    {
        var x = NpyReader.Open(Models("inputs.npy")).ReadAll<float>();
        var t = NpyReader.Open(Models("resnet_tiny.targets.npy")).ReadAll<long>().Select(v => (int)v).ToArray();
        var explainer = new ExplainerReexplainer(new Occlusion(new OcclusionOptions(8, 8, 0f)), new ExplainSettings());
        var a = new float[t.Length * 32 * 32];
        explainer.Explain(model, x, t.Length, t, a, 0);
        return new EvaluationBatch(new EvaluationShape(3, 32, 32, 1, model.OutputCount), t.Length, x, a, t, model: model, explainer: explainer);
    }

    private double Compare(string name, MetricOutput o, double tolerance)
    {
        var want = Reference.Value.GetProperty(name).EnumerateArray().Select(e => e.ValueKind == JsonValueKind.Null ? double.NaN : e.GetDouble()).ToArray();
        double worst = 0;
        for (int i = 0; i < want.Length; i++)
        {
            double rel = Math.Abs(o[i] - want[i]) / Math.Abs(want[i]);
            worst = Math.Max(worst, rel);
            Assert.True(rel <= tolerance, $"{name}[{i}]: {o[i]:R} vs {want[i]:R} (relative {rel:E2})");
        }
        log.WriteLine($"{name}: max relative difference {worst:E2}");
        return worst;
    }

    [Fact]
    public void Scores_match_the_pytorch_reference()
    {
        using var model = OnnxRuntimeModel.Open(Models("resnet_tiny.onnx"));
        var batch = Batch(model);
        int draws = Reference.Value.GetProperty("draws").GetInt32();
        MetricOutput Run(IEvaluationMetric m, Action<MetricOutput> evaluate)
        {
            var o = new MetricOutput(batch.Count, m.Columns(batch.Shape, model));
            evaluate(o);
            return o;
        }
        var avg = new AvgSensitivity(new() { NrSamples = draws });
        Compare("avg_sensitivity", Run(avg, o => avg.Evaluate(batch, o, Noise("sens"))), 1e-4);
        var max = new MaxSensitivity(new() { NrSamples = draws });
        Compare("max_sensitivity", Run(max, o => max.Evaluate(batch, o, Noise("sens"))), 1e-4);
        var lle = new LocalLipschitzEstimate(new() { NrSamples = draws });
        Compare("local_lipschitz_estimate", Run(lle, o => lle.Evaluate(batch, o, Noise("lle"))), 1e-4);
        var cx = new Continuity(new());
        Compare("continuity", Run(cx, o => cx.Evaluate(batch, o)), 1e-4);
        var cy = new Continuity(new() { PerturbFunc = ContinuityPerturbFunc.TranslationYDirection });
        Compare("continuity_y", Run(cy, o => cy.Evaluate(batch, o)), 1e-4);

        var flips = Reference.Value.GetProperty("flips").EnumerateArray().Select(e => (double)e.GetInt32()).ToArray();
        var ris = new RelativeInputStability(new() { NrSamples = draws });
        var rio = Run(ris, o => ris.Evaluate(batch, o, Noise("rel")));
        Compare("relative_input_stability", rio, 1e-3);
        Assert.Equal(flips, Enumerable.Range(0, batch.Count).Select(i => rio.Values[i * 2 + 1]));
        var ros = new RelativeOutputStability(new() { NrSamples = draws });
        Compare("relative_output_stability", Run(ros, o => ros.Evaluate(batch, o, Noise("rel"))), 1e-3);
        var rrs = new RelativeRepresentationStability(new() { NrSamples = draws, LayerNames = [Layer] });
        Compare("relative_representation_stability", Run(rrs, o => rrs.Evaluate(batch, o, Noise("rel"))), 1e-3);
    }

    [Fact]
    public void Default_representation_of_the_fixture_cnn_is_the_flattened_pooled_features()
    {
        using var model = OnnxRuntimeModel.Open(Models("resnet_tiny.onnx"));
        var layer = RelativeStability.Hidden.For(Batch(model), "relative_representation_stability", null).Layers.Single();
        log.WriteLine($"default layer: {layer} ({string.Join("×", model.LayerShape(layer))}, {model.Layers.First(l => l.Name == layer).Operator})");
        Assert.Equal([16], model.LayerShape(layer));
    }
}
