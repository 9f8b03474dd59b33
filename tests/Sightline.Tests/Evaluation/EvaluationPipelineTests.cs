using Sightline.Alignment;
using Sightline.Evaluation;
using Sightline.Explainers;
using Sightline.Metrics;
using Sightline.Models;
using Sightline.Results;

namespace Sightline.Tests.Evaluation;

/// <summary>The core pipeline and its resumable row store: columns and curves of any metric, failures, batching, resume.</summary>
public sealed class EvaluationPipelineTests
{
    /// <summary>A curve metric with two columns (its mean, then its first point) and a seeded draw: what faithfulness metrics look like.</summary>
    internal sealed class FakeCurveMetric : IEvaluationMetric
    {
        public MetricAttribute Info { get; } = new("fake_curve", MetricFamily.Faithfulness, ScoreDirection.HigherIsBetter) { Curve = true, Needs = MetricNeeds.Model };
        public MetricOptions Options { get; } = new CommonMetricOptions();
        public IReadOnlyList<string> Columns(EvaluationShape shape, IModel? model) => ["fake_curve", "fake_curve:first"];
        public int CurveLength(EvaluationShape shape) => 3;
        public int Calls;

        public void Evaluate(EvaluationBatch batch, MetricOutput output)
        {
            Interlocked.Increment(ref Calls);
            var logits = batch.Logits(Info.Name);
            int k = batch.Shape.Classes;
            for (int i = 0; i < batch.Count; i++)
            {
                var curve = output.Curve(i);
                float draw = (float)batch.RandomFor(i, Info.Name).NextDouble();
                curve[0] = logits[i * k + batch.Targets[i]];
                curve[1] = batch.Attribution(i)[0];
                curve[2] = draw;
                output.Set(i, new Score((curve[0] + curve[1] + curve[2]) / 3.0, (batch.FirstIndex + i) % 2 == 1 ? "odd" : null));
                output.Set(i, 1, curve[0]);
            }
        }
    }

    private static (ArrayInputSource Inputs, float[] Maps, AffineModel Model) Data(int n, int c = 2, int h = 3, int w = 3)
    {
        var rng = new Random(11);
        var x = new float[n * c * h * w];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var maps = new float[n * h * w];
        for (int i = 0; i < maps.Length; i++) maps[i] = (float)rng.NextDouble();
        return (new ArrayInputSource("x", x, n, [c, h, w], [.. Enumerable.Range(0, n).Select(i => i % 3)]), maps, AffineModel.Random(c, h, w, 3, 5));
    }

    private static EvaluationRequest Request(ArrayInputSource inputs, float[] maps, IModel model, int chunk, params IEvaluationMetric[] metrics) => new()
    {
        Inputs = inputs,
        Metrics = metrics,
        Saliency = new ArraySampleSource("maps", maps, inputs.Count, inputs.Shape[1], inputs.Shape[2]),
        Model = model,
        Chunk = chunk,
        Seed = 4,
    };

    [Fact]
    public void Rows_hold_every_metric_column_and_curve_and_do_not_depend_on_the_chunk_size()
    {
        var (inputs, maps, model) = Data(7);
        var metric = new FakeCurveMetric();
        var sparseness = MetricCatalogue.GetEvaluate("sparseness").Create();
        var one = new EvaluationRows();
        var run = EvaluationPipeline.Run(Request(inputs, maps, model, 1, metric, sparseness), one);
        Assert.Equal(["fake_curve", "fake_curve:first", "sparseness"], run.Layout.Columns);
        Assert.Equal(3, run.Layout.CurveValues);
        Assert.Equal(7, metric.Calls);
        var all = new EvaluationRows();
        EvaluationPipeline.Run(Request(inputs, maps, model, 64, metric, sparseness), all);
        for (int c = 0; c < 3; c++) Assert.Equal(one.Column(run.Layout, c), all.Column(run.Layout, c));
        Assert.Equal(one.Chunks.SelectMany(ch => ch.Curves), all.Chunks.SelectMany(ch => ch.Curves));
        Assert.Equal(one.Chunks.SelectMany(ch => ch.Reasons), all.Chunks.SelectMany(ch => ch.Reasons));
        Assert.Equal("fake_curve: odd", all.Chunks[0].Reasons[1]);
        Assert.Null(all.Chunks[0].Reasons[0]);
        // Predicted targets by default: the argmax of the model's logits.
        var logits = new float[7 * 3];
        var x = new float[7 * 18];
        inputs.Load(0, 7, x);
        model.Forward(x, 7, logits);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.AsSpan(i * 3, 3))), all.Targets);
    }

    [Fact]
    public void Predicted_targets_of_a_chunk_larger_than_two_billion_values_over_its_size_are_the_argmax()
    {
        // 1,024 samples of 3×28×28 in one chunk: sample index × chunk values passes int.MaxValue (the demo's chunk;
        // an int product there once overflowed into a negative offset).
        const int n = 1024, c = 3, h = 28, w = 28;
        var rng = new Random(2);
        var x = new float[n * c * h * w];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        var inputs = new ArrayInputSource("x", x, n, [c, h, w], new int[n]);
        var model = AffineModel.Random(c, h, w, 3, 7);
        var rows = new EvaluationRows();
        EvaluationPipeline.Run(Request(inputs, new float[n * h * w], model, n, MetricCatalogue.GetEvaluate("sparseness").Create()) with { Target = new TargetRule("predicted") }, rows);
        var logits = new float[n * 3];
        model.Forward(x, n, logits);
        Assert.Equal(Enumerable.Range(0, n).Select(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax(logits.AsSpan(i * 3, 3))), rows.Targets);
    }

    [Fact]
    public void Curves_are_written_as_one_array_per_curve_metric_named_by_it()
    {
        using var dir = new Cli.TempDir();
        var (inputs, maps, model) = Data(5);
        var request = Request(inputs, maps, model, 2, MetricCatalogue.GetEvaluate("sparseness").Create(), new FakeCurveMetric());
        var rows = new EvaluationRows();
        var run = EvaluationPipeline.Run(request, rows);
        var curves = rows.Chunks.SelectMany(c => c.Curves).ToArray();
        Sightline.Cli.Commands.EvaluateCommand.WriteCurves(dir.File("c.npz"), run.Layout, curves, 5);
        Assert.Equal(["fake_curve"], Sightline.IO.Npz.List(dir.File("c.npz")));
        using var r = Sightline.IO.Npz.Open(dir.File("c.npz"), "fake_curve");
        Assert.Equal([5, 3], r.Shape);
        Assert.Equal(curves, r.ReadAll<float>());
    }

    [Fact]
    public void A_sample_with_a_non_finite_input_or_attribution_fails_alone()
    {
        var (inputs, maps, model) = Data(5);
        var x = new float[5 * 18];
        inputs.Load(0, 5, x);
        x[18 + 3] = float.NaN;
        maps[3 * 9 + 2] = float.PositiveInfinity;
        var bad = new ArrayInputSource("x", x, 5, [2, 3, 3]);
        var metrics = new IEvaluationMetric[] { new FakeCurveMetric(), MetricCatalogue.GetEvaluate("complexity").Create() };
        var rows = new EvaluationRows();
        var run = EvaluationPipeline.Run(Request(bad, maps, model, 2, metrics), rows);
        Assert.Equal(2, run.FailedNow);
        var reasons = rows.Chunks.SelectMany(c => c.Reasons).ToArray();
        Assert.Equal("fake_curve: non-finite-input; complexity: non-finite-input", reasons[1]);
        Assert.Equal("fake_curve: non-finite-attribution; complexity: non-finite-attribution", reasons[3]);
        Assert.Equal([false, true, false, true, false], rows.Chunks.SelectMany(c => c.Failed));
        for (int c = 0; c < run.Layout.Columns.Count; c++)
        {
            var col = rows.Column(run.Layout, c);
            Assert.True(double.IsNaN(col[1]) && double.IsNaN(col[3]));
            Assert.False(double.IsNaN(col[0]) || double.IsNaN(col[2]) || double.IsNaN(col[4]));
        }
        Assert.All(rows.Chunks[0].Curves.AsSpan(3, 3).ToArray(), v => Assert.True(float.IsNaN(v)));
        // The good samples score as they do without bad batch-mates.
        var (cleanInputs, cleanMaps, _) = Data(5);
        var clean = new EvaluationRows();
        EvaluationPipeline.Run(Request(cleanInputs, cleanMaps, model, 2, metrics), clean);
        foreach (int i in new[] { 0, 2, 4 }) Assert.Equal(clean.Column(run.Layout, 0)[i], rows.Column(run.Layout, 0)[i]);
    }

    [Fact]
    public void Needs_are_checked_before_anything_runs()
    {
        var (inputs, maps, model) = Data(2);
        var iou = MetricCatalogue.GetEvaluate("iou").Create();
        var e = Assert.Throws<InputDataException>(() => EvaluationPipeline.Prepare(Request(inputs, maps, model, 1, iou)));
        Assert.Contains("--masks", e.Message);
        var reexplaining = new FakeCurveMetric();
        var info = new MetricAttribute("re", MetricFamily.Robustness, ScoreDirection.LowerIsBetter) { Needs = MetricNeeds.Model | MetricNeeds.Reexplain };
        e = Assert.Throws<InputDataException>(() => EvaluationPipeline.CheckNeeds([info], masks: true, method: false, model: true));
        Assert.Contains("--method", e.Message);
        var short_ = Request(inputs, maps, model, 1, reexplaining) with { Saliency = new ArraySampleSource("maps", maps[..9], 1, 3, 3) };
        e = Assert.Throws<InputDataException>(() => EvaluationPipeline.Prepare(short_));
        Assert.Contains("holds 1 attributions", e.Message);
    }

    [Fact]
    public void Localisation_metrics_give_the_values_align_gives()
    {
        var (inputs, maps, model) = Data(6);
        var masks = new float[6 * 9];
        for (int i = 0; i < masks.Length; i++) masks[i] = (i * 7 % 5) < 2 ? 1 : 0;
        var names = new[] { "iou", "gtc", "sc", "pointing_game", "relevance_mass_accuracy" };
        var request = Request(inputs, maps, model, 4, [.. names.Select(n => MetricCatalogue.GetEvaluate(n).Create())]) with
        {
            Masks = new ArraySampleSource("m", masks, 6, 3, 3),
        };
        var rows = new EvaluationRows();
        var run = EvaluationPipeline.Run(request, rows);
        var align = AlignmentScorer.Run(new ArraySampleSource("maps", maps, 6, 3, 3), new ArraySampleSource("m", masks, 6, 3, 3), new AlignmentOptions { Metrics = names });
        for (int k = 0; k < names.Length; k++) Assert.Equal(align.Scores[names[k]], rows.Column(run.Layout, k));
    }

    [Fact]
    public void An_explainer_produces_the_attributions_when_no_saliency_is_given()
    {
        var (inputs, _, model) = Data(3);
        var explainer = ExplainerCatalog.Create("occlusion", new ExplainerOptions { Occlusion = new OcclusionOptions(2, 1, 0f) });
        var request = new EvaluationRequest
        {
            Inputs = inputs, Model = model, Explainer = explainer, Chunk = 2, Target = new TargetRule("label"),
            Metrics = [MetricCatalogue.GetEvaluate("effective_complexity").Create()],
        };
        var rows = new EvaluationRows();
        var run = EvaluationPipeline.Run(request, rows);
        Assert.Equal([0, 1, 2], rows.Targets);
        var x = new float[3 * 18];
        inputs.Load(0, 3, x);
        var maps = new float[3 * 9];
        explainer.Explain(model, x, 3, [0, 1, 2], maps, new ExplainSettings());
        var direct = new EvaluationRows();
        EvaluationPipeline.Run(Request(inputs, maps, model, 3, request.Metrics[0]) with { Target = new TargetRule("label") }, direct);
        Assert.Equal(direct.Column(run.Layout, 0), rows.Column(run.Layout, 0));
    }

    /// <summary>A sink that passes chunks on and fails after <paramref name="limit"/> of them (a run killed part-way).</summary>
    private sealed class Interrupting(IEvaluationSink inner, int limit) : IEvaluationSink
    {
        private int _chunks;
        public int Done => inner.Done;
        public void Append(EvaluationChunk chunk)
        {
            if (_chunks++ == limit) throw new IOException("interrupted");
            inner.Append(chunk);
        }
    }

    [Fact]
    public void The_row_store_resumes_after_an_interruption_without_loss_or_duplicates_and_restarts_for_another_signature()
    {
        using var dir = new Cli.TempDir();
        var (inputs, maps, model) = Data(9);
        var metrics = new IEvaluationMetric[] { new FakeCurveMetric(), MetricCatalogue.GetEvaluate("sparseness").Create() };
        var request = Request(inputs, maps, model, 2, metrics);
        var layout = EvaluationPipeline.Prepare(request);
        var out1 = dir.File("ref.csv");
        ResultTable? reference = null;
        float[]? referenceCurves = null;
        using (var store = EvaluationRowStore.Open(out1, layout, 9, "sig"))
        {
            EvaluationPipeline.Run(request, store);
            store.Complete((t, c) => { reference = t; referenceCurves = c; });
        }
        var path = dir.File("run.csv");
        using (var store = EvaluationRowStore.Open(path, layout, 9, "sig"))
            Assert.Throws<IOException>(() => EvaluationPipeline.Run(request, new Interrupting(store, 2)));
        Assert.True(File.Exists(path + ".rows.partial"));
        // A stray row appended after the last commit (a kill between the rows and the progress file) is dropped.
        File.AppendAllText(path + ".rows.partial", "99,0,1,1,1,\n");
        ResultTable? table = null;
        float[]? curves = null;
        using (var store = EvaluationRowStore.Open(path, layout, 9, "sig"))
        {
            Assert.Equal(4, store.Done);
            Assert.NotNull(store.ResumeHint);
            var result = EvaluationPipeline.Run(request, store);
            Assert.Equal(4, result.Resumed);
            store.Complete((t, c) => { table = t; curves = c; File.WriteAllText(path, "done"); });
        }
        Assert.Equal(referenceCurves, curves);
        Assert.Equal(reference!.RowCount, table!.RowCount);
        foreach (var col in reference.Columns)
            switch (col)
            {
                case DoubleColumn d: Assert.Equal(d.Values, ((DoubleColumn)table[col.Name]!).Values); break;
                case Int64Column l: Assert.Equal(l.Values, ((Int64Column)table[col.Name]!).Values); break;
                case StringColumn s: Assert.Equal(s.Values, ((StringColumn)table[col.Name]!).Values); break;
            }
        Assert.False(File.Exists(path + ".rows.partial"));
        using (var store = EvaluationRowStore.Open(path, layout, 9, "sig")) Assert.True(store.IsComplete);
        using (var store = EvaluationRowStore.Open(path, layout, 9, "sig", force: true)) Assert.False(store.IsComplete);
        using (var store = EvaluationRowStore.Open(path, layout, 9, "other")) Assert.Equal(0, store.Done);
    }
}
