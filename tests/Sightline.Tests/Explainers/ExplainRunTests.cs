using Sightline.Explainers;
using Sightline.IO;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Explainers;

public sealed class ExplainRunTests
{
    private const int C = 3, H = 5, W = 4, N = 7;

    private static string Inputs(TempDir dir)
    {
        var path = dir.File("x.npy");
        Npy.Write<float>(path, ConvGapModel.RandomInputs(N, C, H, W, 8), N, C, H, W);
        return path;
    }

    private sealed class CancelAfter(CancellationTokenSource cts, int threshold) : IProgress<int>
    {
        public void Report(int value)
        {
            if (value >= threshold) cts.Cancel();
        }
    }

    [Fact]
    public void Interrupted_explain_run_resumes_and_matches_an_uninterrupted_one()
    {
        using var dir = new TempDir();
        var model = new ConvGapModel(C, H, W, 4, 6, 1);
        var explainer = new SmoothGrad(new SmoothGradOptions(0.1, 5));
        var settings = new ExplainSettings { Seed = 3 };
        using var src = new NpyInputSource(Inputs(dir));

        ExplainRun.Run(model, explainer, src, new TargetRule("predicted"), settings, dir.File("full.npy"), dir.File("full.csv"), null, "s", chunk: 3);

        using var cts = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() =>
            ExplainRun.Run(model, explainer, src, new TargetRule("predicted"), settings, dir.File("part.npy"), dir.File("part.csv"), null, "s", chunk: 3, new CancelAfter(cts, 3), cts.Token));
        var resumed = ExplainRun.Run(model, explainer, src, new TargetRule("predicted"), settings, dir.File("part.npy"), dir.File("part.csv"), null, "s", chunk: 3);
        Assert.Equal(3, resumed.Resumed);

        using var a = NpyReader.Open(dir.File("full.npy"));
        using var b = NpyReader.Open(dir.File("part.npy"));
        Assert.Equal(new[] { N, H, W }, b.Shape);
        Assert.Equal(a.ReadAll<float>(), b.ReadAll<float>());
        Assert.Equal(File.ReadAllLines(dir.File("full.csv")), File.ReadAllLines(dir.File("part.csv")));
        var lines = File.ReadAllLines(dir.File("part.csv"));
        Assert.Equal(ExplainRun.PredictionsHeader, lines[0]);
        Assert.Equal(N + 1, lines.Length);
    }

    [Fact]
    public void Predicted_target_is_the_argmax_and_a_fixed_class_is_honoured()
    {
        using var dir = new TempDir();
        var model = new ConvGapModel(C, H, W, 4, 6, 2);
        using var src = new NpyInputSource(Inputs(dir));
        ExplainRun.Run(model, new Saliency(), src, TargetRule.Parse("4"), new ExplainSettings(), dir.File("m.npy"), dir.File("p.csv"), dir.File("overlays"), "s", 4);
        var rows = File.ReadAllLines(dir.File("p.csv")).Skip(1).Select(l => l.Split(',')).ToArray();
        var logits = new float[N * 6];
        var x = new float[N * C * H * W];
        src.Load(0, N, x);
        model.Forward(x, N, logits);
        for (int i = 0; i < N; i++)
        {
            int argmax = Array.IndexOf(logits, logits.AsSpan(i * 6, 6).ToArray().Max(), i * 6) - i * 6;
            Assert.Equal(argmax.ToString(), rows[i][3]);
            Assert.Equal("4", rows[i][5]);
        }
        Assert.Equal(N, Directory.GetFiles(dir.File("overlays"), "*.png").Length);
    }

    [Fact]
    public void Label_target_without_labels_is_a_clear_error()
    {
        using var dir = new TempDir();
        using var src = new NpyInputSource(Inputs(dir));
        Assert.Throws<InputDataException>(() => ExplainRun.Run(new ConvGapModel(C, H, W, 4, 6, 2), new Saliency(), src, TargetRule.Parse("label"), new ExplainSettings(), dir.File("m.npy"), dir.File("p.csv"), null, "s", 4));
    }
}
