using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sightline.IO;
using Sightline.Neurons;
using Sightline.Neurons.Sanity;
using Sightline.Results;

namespace Sightline.Cli.Commands;

/// <summary><c>sightline neurons</c>: evaluate neuron explanations (Oikarinen, Yan, Weng, ICML 2025): <c>score</c> and <c>sanity</c>.</summary>
public static class NeuronsCommand
{
    /// <summary>Builds the command group.</summary>
    public static Command Build(CliContext context) => Build(context, null);

    /// <summary>Builds the command group with only the child <paramref name="only"/> when it names one (see <see cref="CliApp.AddChildren"/>).</summary>
    internal static Command Build(CliContext context, string? only)
    {
        var command = new Command("neurons", "Evaluate neuron explanations: score neurons against concept labels, and sanity-test the metrics (Oikarinen, Yan, Weng, ICML 2025).");
        CliApp.AddChildren(command, only,
        [
            new("score", () => BuildScore(context)), new("sanity", () => BuildSanity(context)),
            new("extract", () => NeuronsDataCommands.BuildExtract(context)), new("concepts", () => NeuronsDataCommands.BuildConcepts(context)),
        ]);
        return command;
    }

    private sealed record MetricOptionSet(Option<string> Alpha, Option<double> Lambda, Option<int> K, Option<double> TrAlpha, Option<int> Seed, Option<bool> Compat, Option<string> Ties);

    private static MetricOptionSet MetricOptions(string alphaDefault, string alphaNote = "")
    {
        var alpha = new Option<string>("--alpha") { Description = "Top-α fraction that binarises each neuron (k = ⌈αN⌉, ties at the cut-off included) for every metric, iou included (the paper's iou default is 0.01); 'none' disables binarisation (activations must then be 0/1)." + alphaNote, DefaultValueFactory = _ => alphaDefault, HelpName = "α|none" };
        var lambda = new Option<double>("--lambda") { Description = "λ of wpmi.", DefaultValueFactory = _ => 1.0, HelpName = "λ" };
        var k = new Option<int>("--k") { Description = "k of the top-and-random variants (k top + k random inputs per neuron).", DefaultValueFactory = _ => 25 };
        var trAlpha = new Option<double>("--tr-alpha") { Description = "α of the continuous top-and-random variants (top set = ⌈αN⌉ largest).", DefaultValueFactory = _ => 0.002, HelpName = "α" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random draws (top-and-random sampling, random tie-breaking, perturbations).", DefaultValueFactory = _ => 0 };
        var compat = new Option<bool>("--reference-compat") { Description = "Binary top-and-random variants: take all active inputs plus k random, as the reference code does." };
        var ties = new Option<string>("--ties") { Description = "Ties in rank metrics: 'midrank' (deterministic) or 'random' (seeded random order, approximates the reference's noise).", DefaultValueFactory = _ => "midrank", HelpName = "midrank|random" };
        ties.AcceptOnlyFromAmong("midrank", "random");
        return new MetricOptionSet(alpha, lambda, k, trAlpha, seed, compat, ties);
    }

    private static NeuronMetricOptions ReadOptions(ParseResult parse, MetricOptionSet o)
    {
        var alphaText = parse.GetValue(o.Alpha)!;
        double? alpha;
        if (alphaText.Equals("none", StringComparison.OrdinalIgnoreCase)) alpha = 0;
        else if (double.TryParse(alphaText, NumberStyles.Float, CultureInfo.InvariantCulture, out var a) && a > 0 && a <= 1) alpha = a;
        else throw new InputDataException($"--alpha '{alphaText}' must be a number in (0, 1] or 'none'.");
        int k = parse.GetValue(o.K);
        if (k < 1) throw new InputDataException("--k must be a positive integer.");
        double lambda = parse.GetValue(o.Lambda);
        if (!double.IsFinite(lambda)) throw new InputDataException($"--lambda {lambda.ToString(CultureInfo.InvariantCulture)} must be a finite number.");
        double tr = parse.GetValue(o.TrAlpha);
        if (!(tr > 0 && tr <= 1)) throw new InputDataException("--tr-alpha must be in (0, 1].");
        return new NeuronMetricOptions
        {
            Alpha = alpha,
            Lambda = lambda,
            TopRandomK = k,
            TopRandomAlpha = tr,
            Seed = (ulong)parse.GetValue(o.Seed),
            ReferenceCompat = parse.GetValue(o.Compat),
            Ties = parse.GetValue(o.Ties) == "random" ? RankTies.Random : RankTies.Midrank,
        };
    }

    private static void AddAll(Command c, MetricOptionSet o)
    {
        c.Add(o.Alpha); c.Add(o.Lambda); c.Add(o.K); c.Add(o.TrAlpha); c.Add(o.Seed); c.Add(o.Compat); c.Add(o.Ties);
    }

    private static Command BuildScore(CliContext context)
    {
        var activations = new Option<string>("--activations") { Description = "Activations: NPY of shape N×n_neurons (any numeric dtype), or a CSV matrix.", Required = true, HelpName = "A.npy" };
        var concepts = new Option<string>("--concepts") { Description = "Concept labels: NPY of shape N×n_concepts, binary or probabilities in [0, 1], or a CSV matrix (a header row names the concepts).", Required = true, HelpName = "C.npy" };
        var output = new Option<string>("--out") { Description = "Scores. .npy: float64 n_metrics×n_neurons×n_concepts (n_neurons×n_concepts for one metric), metric names in order in <out>.metrics.txt; .csv/.json/.parquet: long format with columns neuron,concept,metric,value,reason (with --top: neuron,rank,concept,metric,value,reason).", Required = true, HelpName = "scores.npy" };
        var metrics = new Option<string>("--metrics") { Description = "Comma-separated metric names, or 'all' (catalogue order: recall, precision, f1, iou, ..., then registered metrics).", DefaultValueFactory = _ => "all", HelpName = "a,b,..." };
        var names = new Option<string?>("--concept-names") { Description = "Text file with one concept name per line; names replace indices in the concept column.", HelpName = "names.txt" };
        var top = new Option<int>("--top") { Description = "Write only the best N concepts per neuron and metric (highest finite value first; NaN and ±∞ last, explained in the reason column); tabular outputs only.", DefaultValueFactory = _ => 0, HelpName = "N" };
        var assemblies = MetricAssemblyOption();
        var o = MetricOptions("0.005");
        var command = new Command("score", "Score every neuron against every concept with the chosen metrics.") { activations, concepts, output, metrics, names, top, assemblies };
        AddAll(command, o);
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            // The inputs are mapped and checked on the other core while the options are read and the metrics looked up
            // (started from the raw command line, before parsing, when ScoreInputPrefetch could start it); their errors
            // still come after those of the options, as in a sequential run.
            string aPath = parse.GetValue(activations)!, cPath = parse.GetValue(concepts)!;
            var prefetched = ScoreInputPrefetch.Take(aPath, cPath);
            using var mappings = prefetched?.Mappings ?? new ProbeMappings();
            var loading = prefetched?.Loading ?? Task.Run(() => new LoadedProbe(LoadProbe(aPath, cPath, mappings, out var h), h));
            NeuronMetricOptions options;
            IReadOnlyList<NeuronMetricDescriptor> descriptors;
            string outPath;
            bool npy;
            int topN;
            try
            {
                options = ReadOptions(parse, o);
                LoadMetricAssemblies(parse.GetValue(assemblies));
                descriptors = ParseMetrics(parse.GetValue(metrics)!);
                outPath = parse.GetValue(output)!;
                npy = outPath.EndsWith(".npy", StringComparison.OrdinalIgnoreCase);
                if (!npy) ResultWriter.FormatOf(outPath);
                topN = parse.GetValue(top);
                if (topN < 0) throw new InputDataException("--top must be ≥ 0.");
                if (npy && topN > 0) throw new InputDataException("--top writes a table; give a .csv, .json or .parquet --out.");
                new PathPlan().Input("--activations", aPath).Input("--concepts", cPath)
                    .Input("--concept-names", parse.GetValue(names)).Inputs("--metric-assembly", parse.GetValue(assemblies) ?? [])
                    .Output("--out", outPath).Output("the metric list of --out", npy ? outPath + ".metrics.txt" : null).Check();
            }
            catch
            {
                try { loading.Wait(); } catch (AggregateException) { } // the inputs' own errors come second
                throw;
            }
            var (probe, csvHeader) = loading.GetAwaiter().GetResult();
            var conceptNames = parse.GetValue(names) is null && csvHeader is { } header && header.Length == probe.Concepts
                ? header
                : ReadNames(parse.GetValue(names), probe.Concepts);
            var results = new List<ScoreMatrix>();
            using (var progress = new ConsoleProgress(context, "neurons score", descriptors.Count))
                foreach (var d in descriptors)
                {
                    results.Add(d.Create(options).Evaluate(probe));
                    progress.Report(results.Count);
                }
            mappings.ThrowIfChanged(); // before anything is written: results from an input rewritten mid-run are not kept
            if (npy) WriteNpy(outPath, descriptors, results, probe);
            else ResultWriter.Write(topN > 0 ? TopTable(descriptors, results, probe, conceptNames, topN, options) : LongTable(descriptors, results, probe, conceptNames, options), outPath);
            context.Out.WriteLine($"Scored {probe.Neurons} neurons × {probe.Concepts} concepts over N = {probe.Samples} with {descriptors.Count} metric(s) in {clock.Elapsed.TotalSeconds:0.00} s → {outPath}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildSanity(CliContext context)
    {
        var metrics = new Option<string>("--metrics") { Description = "Comma-separated metric names, or 'all'.", DefaultValueFactory = _ => "all", HelpName = "a,b,..." };
        var output = new Option<string>("--out") { Description = "The pass/fail table (.csv, .json or .parquet): metric, missing_labels_pass, extra_labels_pass, missing_labels_decrease, extra_labels_decrease (Decrease%), missing_labels_mean_delta, extra_labels_mean_delta; + meta_auprc (experimental test) or the paper's verdicts paper_theoretical_pass, paper_experimental_pass, paper_pass (theoretical test).", Required = true, HelpName = "table.csv" };
        var activations = new Option<string?>("--activations") { Description = "Experimental test: activations NPY (N×n_neurons). Without it the theoretical (simulated) test runs.", HelpName = "A.npy" };
        var concepts = new Option<string?>("--concepts") { Description = "Experimental test: concept labels NPY (N×n_concepts).", HelpName = "C.npy" };
        var known = new Option<string?>("--known-concepts") { Description = "Experimental test: the correct concept index per neuron (NPY of n_neurons integers); default neuron i ↔ concept i.", HelpName = "K.npy" };
        var epsilon = new Option<double>("--epsilon") { Description = "ε: a decrease counts when the normalised Δ < −ε.", DefaultValueFactory = _ => 0.001, HelpName = "ε" };
        var inputs = new Option<int>("--inputs") { Description = "Theoretical test: number of simulated inputs N (the paper uses 500000).", DefaultValueFactory = _ => 100_000, HelpName = "N" };
        var draws = new Option<int>("--draws") { Description = "Theoretical test: independent perturbation draws (the paper uses 1000).", DefaultValueFactory = _ => 100, HelpName = "D" };
        var perFrequency = new Option<string?>("--per-frequency") { Description = "Theoretical test: also write the per-γ results (long format: metric, gamma, missing_labels_decrease, extra_labels_decrease, missing_labels_mean_delta, extra_labels_mean_delta).", HelpName = "freq.csv" };
        var assemblies = MetricAssemblyOption();
        var o = MetricOptions("0.005", " Experimental test only: the theoretical test always disables α (its simulated neurons are already 0/1), as the paper does.");
        var command = new Command("sanity", "Missing-labels and extra-labels sanity tests: theoretical (simulated ideal neurons) or, with --activations/--concepts, experimental; plus Meta-AUPRC.")
        {
            metrics, output, activations, concepts, known, epsilon, inputs, draws, perFrequency, assemblies,
        };
        AddAll(command, o);
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var options = ReadOptions(parse, o);
            LoadMetricAssemblies(parse.GetValue(assemblies));
            var descriptors = ParseMetrics(parse.GetValue(metrics)!);
            var outPath = parse.GetValue(output)!;
            ResultWriter.FormatOf(outPath);
            double eps = parse.GetValue(epsilon);
            // A NaN ε makes every comparison false (no metric ever 'decreases'), a negative one counts increases as decreases.
            if (!(eps >= 0) || double.IsInfinity(eps))
                throw new InputDataException($"--epsilon {eps.ToString(CultureInfo.InvariantCulture)}: ε must be a finite number ≥ 0 (default 0.001).");
            var aPath = parse.GetValue(activations);
            var cPath = parse.GetValue(concepts);
            var freqOut = parse.GetValue(perFrequency);
            if (freqOut is not null) ResultWriter.FormatOf(freqOut);
            if (freqOut is not null && (aPath is not null || cPath is not null))
                throw new InputDataException("--per-frequency is a table of the theoretical test; the experimental test (--activations, --concepts) has no frequencies γ.");
            new PathPlan().Input("--activations", aPath).Input("--concepts", cPath).Input("--known-concepts", parse.GetValue(known))
                .Inputs("--metric-assembly", parse.GetValue(assemblies) ?? [])
                .Output("--out", outPath).Output("--per-frequency", freqOut).Check();
            IReadOnlyList<SanityResult> results;
            bool experimental = aPath is not null || cPath is not null;
            if (experimental)
            {
                if (aPath is null || cPath is null) throw new InputDataException("The experimental test needs both --activations and --concepts.");
                using var mappings = new ProbeMappings();
                var probe = LoadProbe(aPath, cPath, mappings, out _);
                int[] correct;
                if (parse.GetValue(known) is { } kp)
                {
                    correct = Sightline.Alignment.NpySampleSource.ReadIntegers(kp);
                    if (correct.Length != probe.Neurons)
                        throw new InputDataException($"--known-concepts {kp}: {correct.Length} entries for {probe.Neurons} neurons; give one concept index per neuron.");
                    if (Array.FindIndex(correct, t => t < 0 || t >= probe.Concepts) is var bad and >= 0)
                        throw new InputDataException($"--known-concepts {kp}: entry {bad} is {correct[bad]}, outside the concept indices 0..{probe.Concepts - 1}.");
                }
                else
                {
                    if (probe.Neurons > probe.Concepts)
                        throw new InputDataException($"{probe.Neurons} neurons but {probe.Concepts} concepts: give --known-concepts (neuron i ↔ concept i needs n_neurons ≤ n_concepts).");
                    correct = [.. Enumerable.Range(0, probe.Neurons)];
                }
                results = SanityTests.Experimental(descriptors, probe, correct, options, eps, options.Seed);
                mappings.ThrowIfChanged();
            }
            else
            {
                var t = new TheoreticalSanityOptions { Epsilon = eps, Inputs = parse.GetValue(inputs), Draws = parse.GetValue(draws), Seed = options.Seed };
                if (t.Inputs < 20_000) throw new InputDataException("--inputs must be at least 20000 (γ = 0.0001 needs ≥ 2 positives).");
                if (t.Draws < 1) throw new InputDataException("--draws must be ≥ 1.");
                using var progress = new ConsoleProgress(context, "neurons sanity", t.Draws);
                results = SanityTests.Theoretical(descriptors, t, options, progress);
            }
            var table = new ResultTable()
                .Add(new StringColumn("metric", [.. results.Select(r => (string?)r.Metric)]))
                .Add(new StringColumn("missing_labels_pass", [.. results.Select(r => (string?)(r.MissingPass ? "true" : "false"))]))
                .Add(new StringColumn("extra_labels_pass", [.. results.Select(r => (string?)(r.ExtraPass ? "true" : "false"))]))
                .Add(new DoubleColumn("missing_labels_decrease", [.. results.Select(r => r.MissingDecrease)]))
                .Add(new DoubleColumn("extra_labels_decrease", [.. results.Select(r => r.ExtraDecrease)]))
                .Add(new DoubleColumn("missing_labels_mean_delta", [.. results.Select(r => r.MissingMeanDelta)]))
                .Add(new DoubleColumn("extra_labels_mean_delta", [.. results.Select(r => r.ExtraMeanDelta)]));
            if (experimental) table.Add(new DoubleColumn("meta_auprc", [.. results.Select(r => r.MetaAuprc)]));
            else
            {
                // The paper's verdicts beside ours: its finding (only correlation, cosine, auprc, f1, iou pass) combines the
                // theoretical test with experimental tests on real models, which a simulation cannot reproduce.
                table.Add(new StringColumn("paper_theoretical_pass", [.. results.Select(r => PaperResults.Find(r.Metric) is { } p ? (p.TheoreticalPass ? "true" : "false") : null)]));
                table.Add(new StringColumn("paper_experimental_pass", [.. results.Select(r => PaperResults.Find(r.Metric) is { } p ? (p.ExperimentalPass ? "true" : "false") : null)]));
                table.Add(new StringColumn("paper_pass", [.. results.Select(r => PaperResults.Find(r.Metric) is { } p ? (p.Pass ? "true" : "false") : null)]));
            }
            ResultWriter.Write(table, outPath);
            if (!experimental && freqOut is { } freqPath)
            {
                var rows = results.SelectMany(r => r.PerFrequency.Select(f => (r.Metric, f))).ToList();
                ResultWriter.Write(new ResultTable()
                    .Add(new StringColumn("metric", [.. rows.Select(x => (string?)x.Metric)]))
                    .Add(new DoubleColumn("gamma", [.. rows.Select(x => x.f.Gamma)]))
                    .Add(new DoubleColumn("missing_labels_decrease", [.. rows.Select(x => x.f.MissingDecrease)]))
                    .Add(new DoubleColumn("extra_labels_decrease", [.. rows.Select(x => x.f.ExtraDecrease)]))
                    .Add(new DoubleColumn("missing_labels_mean_delta", [.. rows.Select(x => x.f.MissingDelta)]))
                    .Add(new DoubleColumn("extra_labels_mean_delta", [.. rows.Select(x => x.f.ExtraDelta)])), freqPath);
            }
            context.Out.WriteLine($"{"metric",-30} {"missing",8} {"extra",8}  pass{(experimental ? "" : "  paper")}");
            foreach (var r in results)
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{r.Metric,-30} {r.MissingDecrease,8:0.00} {r.ExtraDecrease,8:0.00}  {(r.Pass ? "yes " : "no  ")}{(experimental ? "" : PaperResults.Find(r.Metric) is { } p ? (p.Pass ? "  yes" : p.TheoreticalPass ? "  no (fails the paper's experimental test)" : "  no") : "  -")}"));
            if (!experimental)
                context.Out.WriteLine("Theoretical test only. The paper's finding (only correlation, cosine, auprc, f1 and iou pass) also needs its experimental test on real models: see paper_pass; use --ties random --reference-compat to mirror the reference's tie-breaking and sampling.");
            context.Out.WriteLine($"{(experimental ? "Experimental" : "Theoretical")} sanity test of {results.Count} metric(s) in {clock.Elapsed.TotalSeconds:0.00} s → {outPath}");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Option<string[]> MetricAssemblyOption() => new("--metric-assembly")
    {
        Description = "A .NET assembly (DLL) whose public INeuronMetric classes with [Metric(name, MetricFamily.Neuron, ...)] and a static Create(NeuronMetricOptions) join the catalogue (usable in --metrics and 'all'); repeatable.",
        HelpName = "PATH",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Loads each <c>--metric-assembly</c> and registers its neuron metrics.</summary>
    /// <exception cref="InputDataException">A file is missing, not a .NET assembly, or holds an invalid metric.</exception>
    internal static void LoadMetricAssemblies(IEnumerable<string>? paths)
    {
        foreach (var path in paths ?? [])
        {
            if (!File.Exists(path)) throw new InputDataException($"--metric-assembly {path}: file not found.");
            System.Reflection.Assembly assembly;
            try { assembly = System.Reflection.Assembly.LoadFrom(Path.GetFullPath(path)); }
            catch (BadImageFormatException) { throw new InputDataException($"--metric-assembly {path}: not a .NET assembly."); }
            try
            {
                if (NeuronMetricRegistry.RegisterAssembly(assembly).Count == 0)
                    throw new InputDataException($"--metric-assembly {path}: no public INeuronMetric class with [Metric(..., MetricFamily.Neuron, ...)].");
            }
            catch (ArgumentException e) { throw new InputDataException($"--metric-assembly {path}: {e.Message}"); }
            catch (System.Reflection.ReflectionTypeLoadException e) { throw new InputDataException($"--metric-assembly {path}: cannot load its types ({e.LoaderExceptions.FirstOrDefault()?.Message})."); }
        }
    }

    private static IReadOnlyList<NeuronMetricDescriptor> ParseMetrics(string text)
    {
        // An empty list would score nothing and still exit 0 with an empty table: refuse it, as 'align' does.
        if (text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Length == 0)
            throw new InputDataException($"--metrics '{text}' names no metric; give metric names (e.g. recall,iou), 'all', or leave the option out for all of them.");
        try { return NeuronMetricRegistry.Parse(text); }
        catch (InputDataException e) { throw new InputDataException("--metrics: " + e.Message, e); }
    }

    /// <summary>A loaded probe and the concept names of a CSV header, if it had one.</summary>
    internal sealed record LoadedProbe(NeuronProbe Probe, string[]? Header);

    /// <summary>The memory-mapped input files of a probe; disposing unmaps them, once the probe is no longer used.</summary>
    internal sealed class ProbeMappings : IDisposable
    {
        private readonly List<IDisposable> _items = [];

        /// <summary>Takes ownership of the mapping behind <paramref name="matrix"/>, if any.</summary>
        public void Add(Matrix matrix)
        {
            if (matrix.Mapping is { } m) lock (_items) _items.Add(m);
        }

        /// <summary>Throws when a mapped input was written to since it was mapped (<see cref="MappedNpyMatrix.ThrowIfChanged"/>).</summary>
        /// <exception cref="InputDataException">An input changed during the run.</exception>
        public void ThrowIfChanged()
        {
            lock (_items)
                foreach (var m in _items)
                    if (m is MappedNpyMatrix mapped) mapped.ThrowIfChanged();
        }

        /// <inheritdoc/>
        public void Dispose()
        {
            lock (_items)
            {
                foreach (var m in _items) m.Dispose();
                _items.Clear();
            }
        }
    }

    /// <summary>Loads activations and concept labels (NPY or CSV); <paramref name="conceptHeader"/> receives a CSV header's names.</summary>
    internal static NeuronProbe LoadProbe(string activationsPath, string conceptsPath, ProbeMappings mappings, out string[]? conceptHeader)
    {
        // The two files are read side by side (each read is one core's work); errors are reported in the same order as a
        // sequential read would: the activations' first.
        var readConcepts = Task.Run(() =>
        {
            var m = ReadMatrix(conceptsPath, "concept labels", "N × n_concepts");
            mappings.Add(m);
            return m;
        });
        Matrix activationsRead;
        try
        {
            activationsRead = ReadMatrix(activationsPath, "activations", "N × n_neurons");
            mappings.Add(activationsRead);
        }
        catch
        {
            try { readConcepts.Wait(); } catch (AggregateException) { } // let the other read finish before the error leaves
            throw;
        }
        var a = activationsRead;
        var c = readConcepts.GetAwaiter().GetResult();
        if (a.Shape[0] != c.Shape[0]) throw new InputDataException($"The probing sets differ: {activationsPath} has N = {a.Shape[0]} rows, {conceptsPath} has N = {c.Shape[0]}; both must list the same inputs in the same order.");
        conceptHeader = c.Header;
        try
        {
            // Float32 files (and the narrower types float32 holds exactly) stay float32: no double copy of either matrix.
            return a.Singles is { } a32 && c.Singles is { } c32
                ? NeuronProbe.FromRowMajor(a32, c32, a.Shape[0], a.Shape[1], c.Shape[1])
                : NeuronProbe.FromRowMajor(a.Doubles(), c.Doubles(), a.Shape[0], a.Shape[1], c.Shape[1]);
        }
        catch (InputDataException e) { throw new InputDataException($"{(e.Message.StartsWith("Activations", StringComparison.Ordinal) ? activationsPath : conceptsPath)}: {e.Message}"); }
    }

    /// <summary>A matrix read from a file: float32 values when the file's type converts to float32 exactly, else double.</summary>
    internal sealed record Matrix(double[]? Values, ReadOnlyMemory<float>? Singles, int[] Shape, string[]? Header)
    {
        /// <summary>The file mapping that holds <see cref="Singles"/>, when it was mapped.</summary>
        public IDisposable? Mapping { get; init; }

        /// <summary>The values as double (widened from float32 when read as such).</summary>
        public double[] Doubles()
        {
            if (Values is not null) return Values;
            var d = GC.AllocateUninitializedArray<double>(Singles!.Value.Length);
            System.Numerics.Tensors.TensorPrimitives.ConvertTruncating<float, double>(Singles.Value.Span, d);
            return d;
        }
    }

    /// <summary>
    /// A 2-D matrix from NPY, or from CSV (comma-separated numbers, one row per probing input; a first row that is not
    /// numeric is a header of column names).
    /// </summary>
    internal static Matrix ReadMatrix(string path, string what, string expected)
    {
        if (MappedNpyMatrix.TryOpen(path, out var mappedShape) is { } mapped) return new Matrix(null, mapped.Memory, mappedShape, null) { Mapping = mapped };
        if (path.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
        {
            if (!File.Exists(path)) throw new InputDataException($"{path}: file not found.");
            var values = new List<double>();
            string[]? header = null;
            int cols = -1, rows = 0, lineNo = 0;
            foreach (var line in File.ReadLines(path))
            {
                lineNo++;
                if (string.IsNullOrWhiteSpace(line)) continue;
                var cells = line.Split(',');
                var parsed = new double[cells.Length];
                bool numeric = true;
                for (int i = 0; i < cells.Length && numeric; i++)
                    numeric = double.TryParse(cells[i].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out parsed[i]);
                if (!numeric)
                {
                    if (rows == 0 && header is null) { header = [.. cells.Select(x => x.Trim().Trim('"'))]; cols = cells.Length; continue; }
                    throw new InputDataException($"{path}:{lineNo}: not a number in '{line}'.");
                }
                if (cols < 0) cols = cells.Length;
                if (cells.Length != cols) throw new InputDataException($"{path}:{lineNo}: {cells.Length} columns, expected {cols}.");
                values.AddRange(parsed);
                rows++;
            }
            if (rows == 0) throw new InputDataException($"{path}: no numeric rows; {what} must be {expected}.");
            return new Matrix([.. values], null, [rows, cols], header);
        }
        using var r = NpyReader.Open(path);
        var shape = r.Shape;
        if (shape.Length != 2) throw new InputDataException($"{path}: {what} must be 2-D ({expected}), got shape ({string.Join(", ", shape)}).");
        if (r.DType is NpyDType.Float32 or NpyDType.Float16 or NpyDType.Bool or NpyDType.UInt8 or NpyDType.Int8 or NpyDType.Int16 or NpyDType.UInt16)
        {
            if (r.ElementCount > Array.MaxLength)
                throw new InputDataException($"{path}: {r.ElementCount} elements do not fit in one array; {what} must be {expected} with fewer elements.");
            // Read straight into the final array (no zeroing first: every element is overwritten).
            var singles = GC.AllocateUninitializedArray<float>((int)r.ElementCount);
            r.Read(0, singles.AsSpan());
            return new Matrix(null, (ReadOnlyMemory<float>)singles, shape, null);
        }
        return new Matrix(r.ReadAll<double>(), null, shape, null);
    }

    private static string[] ReadNames(string? path, int count)
    {
        if (path is null)
        {
            var numbers = new string[count];
            for (int i = 0; i < count; i++) numbers[i] = i.ToString(CultureInfo.InvariantCulture);
            return numbers;
        }
        if (!File.Exists(path)) throw new InputDataException($"--concept-names {path}: file not found.");
        var lines = File.ReadAllLines(path);
        if (lines.Length > count && lines.Skip(count).All(string.IsNullOrWhiteSpace)) lines = lines[..count];
        if (lines.Length != count) throw new InputDataException($"{path}: {lines.Length} concept names for {count} concepts (one name per line).");
        // Two concepts of one name could not be told apart in the concept column.
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
            if (!first.TryAdd(lines[i], i))
                throw new InputDataException($"{path}: the name '{lines[i]}' is on lines {first[lines[i]] + 1} and {i + 1}; concept names must be unique.");
        return lines;
    }

    private static void WriteNpy(string path, IReadOnlyList<NeuronMetricDescriptor> descriptors, List<ScoreMatrix> results, NeuronProbe probe)
    {
        int n = probe.Neurons, m = probe.Concepts;
        // Written to a temporary file and renamed: a failed write (disk full) leaves the previous scores intact.
        if (results.Count == 1) AtomicFile.Write(path, stream => Npy.Write<double>(stream, results[0].Values, n, m));
        else
        {
            if ((long)results.Count * n * m > Array.MaxLength)
                throw new InputDataException($"--out {path}: {results.Count} metrics × {n} neurons × {m} concepts do not fit one NPY array; score fewer metrics per run or write a table.");
            var all = new double[results.Count * n * m];
            for (int i = 0; i < results.Count; i++) results[i].Values.CopyTo(all.AsSpan(i * n * m, n * m));
            AtomicFile.Write(path, stream => Npy.Write<double>(stream, all, results.Count, n, m));
        }
        // NPY stores no names: the sidecar lists the metric of each slice of the first axis, in order.
        AtomicFile.WriteAllLines(path + ".metrics.txt", descriptors.Select(d => d.Name));
    }

    private static ResultTable LongTable(IReadOnlyList<NeuronMetricDescriptor> descriptors, List<ScoreMatrix> results, NeuronProbe probe, string[] names, NeuronMetricOptions options)
    {
        int n = probe.Neurons, m = probe.Concepts, rows = descriptors.Count * n * m;
        var neuron = new long[rows];
        var concept = new string?[rows];
        var metric = new string?[rows];
        var value = new double[rows];
        var reason = new string?[rows];
        int row = 0;
        for (int d = 0; d < descriptors.Count; d++)
            for (int k = 0; k < n; k++)
                for (int t = 0; t < m; t++, row++)
                {
                    neuron[row] = k; concept[row] = names[t]; metric[row] = descriptors[d].Name;
                    double v = results[d][k, t];
                    value[row] = v;
                    if (!double.IsFinite(v)) reason[row] = NeuronScoreReasons.Explain(probe, descriptors[d], options, k, t, v);
                }
        return new ResultTable().Add(new Int64Column("neuron", neuron)).Add(new StringColumn("concept", concept))
            .Add(new StringColumn("metric", metric)).Add(new DoubleColumn("value", value)).Add(new StringColumn("reason", reason));
    }

    /// <summary>The best <paramref name="topN"/> concepts per neuron and metric: finite values highest first, then non-finite
    /// values (+∞ of wpmi on an all-zero concept, −∞, NaN) last, since they are undefined scores, not strong matches; the
    /// <c>reason</c> column explains them.</summary>
    internal static ResultTable TopTable(IReadOnlyList<NeuronMetricDescriptor> descriptors, List<ScoreMatrix> results, NeuronProbe probe, string[] names, int topN, NeuronMetricOptions options)
    {
        var neuron = new List<long>(); var rank = new List<long>(); var concept = new List<string?>(); var metric = new List<string?>(); var value = new List<double>(); var reason = new List<string?>();
        for (int d = 0; d < descriptors.Count; d++)
        {
            var s = results[d];
            for (int k = 0; k < s.Neurons; k++)
            {
                var order = Enumerable.Range(0, s.Concepts).OrderBy(t => double.IsFinite(s[k, t]) ? 0 : 1)
                    .ThenByDescending(t => double.IsFinite(s[k, t]) ? s[k, t] : 0).ThenBy(t => t).Take(topN);
                int r = 1;
                foreach (int t in order)
                {
                    neuron.Add(k); rank.Add(r++); concept.Add(names[t]); metric.Add(descriptors[d].Name); value.Add(s[k, t]);
                    reason.Add(NeuronScoreReasons.Explain(probe, descriptors[d], options, k, t, s[k, t]));
                }
            }
        }
        return new ResultTable().Add(new Int64Column("neuron", [.. neuron])).Add(new Int64Column("rank", [.. rank]))
            .Add(new StringColumn("concept", [.. concept])).Add(new StringColumn("metric", [.. metric])).Add(new DoubleColumn("value", [.. value]))
            .Add(new StringColumn("reason", [.. reason]));
    }
}
