using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Sightline.IO;
using Sightline.Results;
using Sightline.Statistics;
using Sightline.Text.Evaluation;
using Sightline.Text.Explainers;
using Sightline.Text.IO;
using Sightline.Text.Lexicon;
using Sightline.Text.Llm;
using Sightline.Text.Values;

namespace Sightline.Cli.Commands;

/// <summary>SemeX's evaluations of text explanations: <c>text faithfulness</c>, <c>text accuracy</c>, <c>text steer</c>.</summary>
internal static class TextEvaluationCommands
{
    private static Option<string> Attributions() => new("--attributions") { Description = "attributions.csv from 'sightline text explain' (its OUT.coalitions.jsonl beside it gives the prompts and stored responses).", Required = true, HelpName = "attributions.csv" };

    internal static (List<AttributionsFile.Entry> Entries, Dictionary<int, AttributionsFile.Sidecar>? Sidecar) Load(string path)
    {
        var entries = AttributionsFile.Read(path);
        return (entries, AttributionsFile.ReadSidecar(path));
    }

    public static Command BuildFaithfulness(CliContext context)
    {
        var attributions = Attributions();
        var m = new TextModelOptions();
        var mask = new Option<string>("--mask") { Description = "What replaces the words not kept: ellipsis (\"...\") or random (a seeded random word from the shipped 20k list, made from WordNet: a deviation from the reference's list).", DefaultValueFactory = _ => "ellipsis", HelpName = "ellipsis|random" };
        mask.AcceptOnlyFromAmong("ellipsis", "random");
        var seed = new Option<int>("--seed") { Description = "Seed of random-word masking.", DefaultValueFactory = _ => 0, HelpName = "S" };
        var output = new Option<string>("--out") { Description = "The curve per prompt (.csv/.json/.parquet): prompt_index, explainer, sim_0.0 … sim_1.0 (keep the top k·100 % words, mask the rest, similarity of the model's reply to the stored response; higher is better), reason.", Required = true, HelpName = "curve.csv" };
        var command = new Command("faithfulness", "SemeX's faithfulness curve: keep the top-k share of words (k = 0, 0.1, …, 1; ties kept), mask the others, ask the model again and compare with the stored response (TF-IDF fitted on the pair by default).")
        {
            attributions,
        };
        foreach (var o in m.All) command.Add(o);
        var force = TextRun.Force();
        command.Add(mask); command.Add(seed); command.Add(output); command.Add(force);
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var path = parse.GetValue(attributions)!;
            var outPath = parse.GetValue(output)!;
            TextCommand.ResultWriter(outPath);
            if (parse.GetValue(m.Classifier) is not null) throw new InputDataException("text faithfulness compares replies with the stored response: --classifier does not apply (use --vectorizer).");
            new PathPlan().Input("--attributions", path).Input("the coalitions sidecar of --attributions", AttributionsFile.SidecarFor(path))
                .Output("--out", outPath).Output("the run record of --out", TextRunRecord.PathFor(outPath)).Check();
            var (entries, sidecar) = Load(path);
            if (sidecar is null) throw new InputDataException($"--attributions {path}: no {AttributionsFile.SidecarFor(path)} beside it (it holds the stored responses); rerun 'text explain'.");
            string explainer = sidecar.Values.FirstOrDefault()?.Explainer ?? "";
            var vectorizer = parse.GetValue(m.Vectorizer) ?? "tfidf";
            using var models = m.Open(parse, explainer == "tokenshap" ? 0.5 : 1.0, explainer == "tokenshap" ? null : PromptTemplates.SemexSystem, "tfidf", needScorer: false);
            var owned = new List<IDisposable>();
            IReplyScorer? embedder = vectorizer == "tfidf" ? null : m.OpenVectorizer(parse, models.Caller, models.ApiKey, vectorizer, owned);
            var fm = parse.GetValue(mask) == "random" ? FaithfulnessMask.Random : FaithfulnessMask.Ellipsis;
            var rows = new List<(int Index, string Explainer, double[] Sims, string? Reason)>();
            var signature = TextRun.Signature(parse, "text faithfulness", [("--attributions", path), ("the coalitions sidecar", AttributionsFile.SidecarFor(path))]);
            using var run = TextRun.Begin(parse, "--out", "text faithfulness", signature, [outPath]);
            if (run.Complete is { } done)
            {
                foreach (var d in owned) d.Dispose();
                return TextRun.AlreadyComplete(context, outPath, done);
            }
            using var interrupt = new TextRun.Interrupt();
            try
            {
                using var progress = new TextProgress(context, "text faithfulness", entries.Count, models.Caller);
                foreach (var e in entries)
                {
                    interrupt.Token.ThrowIfCancellationRequested();
                    var side = sidecar.GetValueOrDefault(e.PromptIndex);
                    var nan = Enumerable.Repeat(double.NaN, 11).ToArray();
                    if (!e.Valid) rows.Add((e.PromptIndex, side?.Explainer ?? "", nan, "explanation undefined (NaN scores): skipped"));
                    else if (side?.Response is not { } response) rows.Add((e.PromptIndex, side?.Explainer ?? "", nan, "no stored response for this prompt in the sidecar"));
                    else
                    {
                        var sims = FaithfulnessCurve.ComputeAsync(e.Words, e.Scores, response, models.Responder, embedder, fm,
                            SplitMix.Derive((ulong)parse.GetValue(seed), e.PromptIndex), interrupt.Token).GetAwaiter().GetResult();
                        rows.Add((e.PromptIndex, side.Explainer, sims, sims.Any(double.IsNaN) ? "some k had no reply (content filter) or no TF-IDF vocabulary" : null));
                    }
                    progress.Report(rows.Count);
                }
            }
            catch (OperationCanceledException) when (interrupt.Requested)
            {
                return TextRun.Cancelled(context, models.Caller);
            }
            finally
            {
                foreach (var d in owned) d.Dispose();
            }
            var table = new ResultTable()
                .Add(new Int64Column("prompt_index", [.. rows.Select(r => (long)r.Index)]))
                .Add(new StringColumn("explainer", [.. rows.Select(r => (string?)r.Explainer)]));
            for (int k = 0; k < 11; k++)
            {
                int kk = k;
                table.Add(new DoubleColumn(FaithfulnessCurve.Column(k), [.. rows.Select(r => r.Sims[kk])]));
            }
            table.Add(new StringColumn("reason", [.. rows.Select(r => r.Reason)]));
            var valid = rows.Where(r => r.Sims.All(double.IsFinite)).ToList();
            var mean = Enumerable.Range(0, 11).Select(k => valid.Count == 0 ? double.NaN : valid.Average(r => r.Sims[k])).ToArray();
            var summary = $"faithfulness of {rows.Count} explanations ({valid.Count} complete): mean curve {string.Join(' ', mean.Select(x => x.ToString("0.000", CultureInfo.InvariantCulture)))}";
            int exit = valid.Count == rows.Count ? ExitCodes.Ok : ExitCodes.Failed;
            run.Commit(() => ResultWriter.Write(table, outPath), exit, summary);
            context.Out.WriteLine($"Faithfulness of {rows.Count} explanations ({valid.Count} complete): mean curve {string.Join(' ', mean.Select(x => x.ToString("0.000", CultureInfo.InvariantCulture)))}; {models.Caller.Calls} model calls, {models.Caller.Hits} cache hits, in {clock.Elapsed.TotalSeconds:0.0} s → {outPath}");
            return exit;
        });
        return command;
    }

    public static Command BuildAccuracy(CliContext context)
    {
        var attributions = Attributions();
        var labels = new Option<string>("--labels") { Description = "CSV with a 'label' column (the word that should rank first, e.g. GenderBias's woman/man) and optionally 'prompt_index'; without it row i is prompt i (the prompts CSV itself works).", Required = true, HelpName = "FILE.csv" };
        var output = new Option<string>("--out") { Description = "JSON: accuracy (share of prompts whose label word ranks first), mean_top_difference, mean_top_label_difference, mean_entropy, counts, and one record per prompt (label_rank, top3, differences, entropy).", Required = true, HelpName = "acc.json" };
        var force = TextRun.Force();
        var command = new Command("accuracy", "SemeX's accuracy test: how often the label word gets the highest score (spec §7), with the score gaps and the entropy of the positive scores.") { attributions, labels, output, force };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(attributions)!;
            var labelsPath = parse.GetValue(labels)!;
            var outPath = parse.GetValue(output)!;
            if (!outPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) throw new InputDataException($"--out {outPath}: the accuracy report is JSON; give a .json file.");
            new PathPlan().Input("--attributions", path).Input("--labels", labelsPath).Output("--out", outPath).Output("the run record of --out", TextRunRecord.PathFor(outPath)).Check();
            var (entries, _) = Load(path);
            var t = CsvTable.Read(labelsPath, "--labels", "a .csv file with a 'label' column");
            int lc = t.Column("label"), pc = t.Column("prompt_index");
            if (lc < 0) throw new InputDataException($"--labels {labelsPath}: no 'label' column (columns: {t.HeaderText}); give a .csv file with a 'label' column (the prompts CSV itself works).");
            var byPrompt = new Dictionary<int, string>();
            for (int r = 0; r < t.Rows.Count; r++)
            {
                int index = pc >= 0 && int.TryParse(t.Rows[r][pc], NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : r;
                if (t.Rows[r][lc].Length > 0) byPrompt[index] = t.Rows[r][lc];
            }
            var rows = new List<AccuracyRow>();
            int invalid = 0, unlabelled = 0;
            foreach (var e in entries)
            {
                if (!byPrompt.TryGetValue(e.PromptIndex, out var label)) { unlabelled++; continue; }
                if (!e.Valid) { invalid++; continue; }
                rows.Add(LabelAccuracy.Row(e.PromptIndex, e.Words, e.Scores, label));
            }
            if (rows.Count == 0) throw new InputDataException($"--labels {labelsPath}: no prompt of --attributions {path} has both a label and a valid explanation.");
            static double? Mean(IEnumerable<double> xs) { var f = xs.Where(double.IsFinite).ToArray(); return f.Length == 0 ? null : f.Average(); }
            static double? Finite(double x) => double.IsFinite(x) ? x : null;
            var report = new
            {
                accuracy = LabelAccuracy.Accuracy(rows),
                mean_top_difference = Mean(rows.Select(r => r.TopDifference)),
                mean_top_label_difference = Mean(rows.Select(r => r.TopLabelDifference)),
                mean_entropy = Mean(rows.Select(r => r.Entropy)),
                rows = rows.Count,
                label_not_in_explanation = rows.Count(r => r.LabelRank is null),
                skipped_undefined_explanations = invalid,
                skipped_without_label = unlabelled,
                prompts = rows.Select(r => new { prompt_index = r.PromptIndex, label = r.Label, label_rank = r.LabelRank, top3 = r.Top3, top_difference = Finite(r.TopDifference), top_label_difference = Finite(r.TopLabelDifference), entropy = Finite(r.Entropy) }),
            };
            var line = $"Accuracy {report.accuracy.ToString("0.000", CultureInfo.InvariantCulture)} over {rows.Count} labelled prompts (label ranked first in {rows.Count(r => r.LabelRank == 1)})";
            var signature = TextRun.Signature(parse, "text accuracy", [("--attributions", path), ("--labels", labelsPath)]);
            using var run = TextRun.Begin(parse, "--out", "text accuracy", signature, [outPath]);
            if (run.Complete is { } done) return TextRun.AlreadyComplete(context, outPath, done);
            int exit = invalid > 0 ? ExitCodes.Failed : ExitCodes.Ok;
            run.Commit(() => AtomicFile.WriteAllText(outPath, JsonSerializer.Serialize(report, new JsonSerializerOptions { WriteIndented = true }) + "\n"), exit, line);
            context.Out.WriteLine($"{line} → {outPath}");
            return exit;
        });
        return command;
    }

    public static Command BuildSteer(CliContext context)
    {
        var attributions = Attributions();
        var m = new TextModelOptions();
        m.Llm.Required = false;
        var judge = new Option<string?>("--judge") { Description = "Safety mode: the judge's chat API (MD-Judge or Llama-Guard behind an OpenAI-compatible server); the --llm model answers the steered prompt and the judge's '[RESULT]: safe|unsafe, score N' gives the attack success rate.", HelpName = "URL" };
        var judgeModel = new Option<string?>("--judge-model") { Description = "The judge's model name.", HelpName = "NAME" };
        var replacement = new Option<string>("--replacement") { Description = "What replaces the highest-scored word: remove (the reference for 'neutral' and anything but antonyms) or antonym (WordNet offline, a deviation from the reference's ConceptNet; a random 20k-list word when WordNet has none).", DefaultValueFactory = _ => "remove", HelpName = "remove|antonym" };
        replacement.AcceptOnlyFromAmong("remove", "antonym");
        var aspect = new Option<string?>("--aspect") { Description = "Sentiment mode: the class whose probability should drop (default --classifier-class, else the prompts CSV's aspect column).", HelpName = "C" };
        var prompts = new Option<string?>("--prompts") { Description = "The prompts CSV of the explanation, for its 'aspect' and 'label' columns (p_label: the edit applied to the label word, an oracle).", HelpName = "FILE.csv" };
        var wordnet = new Option<string?>("--wordnet") { Description = "WordNet folder for --replacement antonym (default /usr/share/wordnet).", HelpName = "DIR" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random fallback word.", DefaultValueFactory = _ => 0, HelpName = "S" };
        var output = new Option<string>("--out") { Description = "One row per prompt: prompt_index, position (1-based), word, replacement, original, steered, then p0, p_highest, shift = p0 − p_highest, p_label (sentiment) or answer, verdict, score, unsafe (safety), reason.", Required = true, HelpName = "steer.csv" };
        var command = new Command("steer", "SemeX's steering evaluations: edit each prompt's highest-scored word and measure the sentiment shift with a classifier, or the attack success rate with a judge (spec §8).")
        {
            attributions,
        };
        foreach (var o in m.All) command.Add(o);
        var force = TextRun.Force();
        foreach (var o in new Option[] { judge, judgeModel, replacement, aspect, prompts, wordnet, seed, output, force }) command.Add(o);
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var path = parse.GetValue(attributions)!;
            var outPath = parse.GetValue(output)!;
            TextCommand.ResultWriter(outPath);
            bool safety = parse.GetValue(judge) is not null;
            var classifierPath = parse.GetValue(m.Classifier);
            if (safety == (classifierPath is not null)) throw new InputDataException("text steer: give --classifier m.onnx (sentiment shift) or --llm URL --llm-model NAME --judge URL --judge-model NAME (attack success rate).");
            var plan = new PathPlan().Input("--attributions", path).Input("the coalitions sidecar of --attributions", AttributionsFile.SidecarFor(path)).Input("--prompts", parse.GetValue(prompts));
            foreach (var (o, p) in m.Inputs(parse)) plan.Input(o, p);
            plan.Output("--out", outPath).Output("the run record of --out", TextRunRecord.PathFor(outPath)).Check();
            var (entries, sidecar) = Load(path);
            if (sidecar is null) throw new InputDataException($"--attributions {path}: no {AttributionsFile.SidecarFor(path)} beside it (it holds the prompts); rerun 'text explain'.");
            var extra = parse.GetValue(prompts) is { } pp ? PromptFile.Read(pp).ToDictionary(p => p.Index) : [];
            var rep = parse.GetValue(replacement) == "antonym" ? SteeringReplacement.Antonym : SteeringReplacement.Remove;
            var wn = rep == SteeringReplacement.Antonym ? WordNet.Open(parse.GetValue(wordnet)) : null;
            var antonyms = wn is null ? null : new WordNetAntonymSource(wn);
            ulong s = (ulong)parse.GetValue(seed);
            var files = new List<(string, string?)> { ("--attributions", path), ("the coalitions sidecar", AttributionsFile.SidecarFor(path)), ("--prompts", parse.GetValue(prompts)) };
            files.AddRange(m.FilesRead(parse));
            if (wn is not null) files.AddRange(wn.Files.Select(f => ("--wordnet", (string?)f)));
            var signature = TextRun.Signature(parse, "text steer", files);
            using var run = TextRun.Begin(parse, "--out", "text steer", signature, [outPath]);
            if (run.Complete is { } done) return TextRun.AlreadyComplete(context, outPath, done);
            using var interrupt = new TextRun.Interrupt();
            Sightline.Text.Calls.CachedCaller? active = null;
            var rows = new List<Dictionary<string, object?>>();
            string summary;
            try
            {
                if (!safety)
                {
                    if (parse.GetValue(m.Vectorizer) is not null) throw new InputDataException("--vectorizer does not apply to text steer --classifier (the value is the classifier's probability).");
                    using var cache = parse.GetValue(m.Cache) is { } dir ? (Sightline.Text.Calls.ICallCache)new Sightline.Text.Calls.SqliteCallCache(dir) : new Sightline.Text.Calls.MemoryCallCache();
                    var caller = new Sightline.Text.Calls.CachedCaller(cache);
                    active = caller;
                    using var classifier = m.OpenClassifier(parse, caller, classifierPath!);
                    var shifts = new List<double>();
                    foreach (var e in entries)
                    {
                        interrupt.Token.ThrowIfCancellationRequested();
                        var row = Base(e, sidecar);
                        var aspectName = parse.GetValue(aspect) ?? parse.GetValue(m.ClassifierClass) ?? extra.GetValueOrDefault(e.PromptIndex)?.Aspect;
                        if (!e.Valid) row["reason"] = "explanation undefined (NaN scores): skipped";
                        else if (aspectName is null) row["reason"] = "no aspect: give --aspect, --classifier-class or a prompts CSV with an 'aspect' column";
                        else
                        {
                            int c = classifier.ClassIndex(aspectName);
                            var edit = Steering.Edit(e.Words, e.Scores, rep, antonyms, SplitMix.Derive(s, e.PromptIndex));
                            Fill(row, edit);
                            var texts = new List<string> { Steering.TwitterPreprocess((string)row["original"]!), Steering.TwitterPreprocess(edit.Steered) };
                            var label = extra.GetValueOrDefault(e.PromptIndex)?.Label;
                            int labelAt = label is null ? -1 : Array.FindIndex(e.Words, w => string.Equals(w, label, StringComparison.OrdinalIgnoreCase));
                            if (labelAt >= 0) texts.Add(Steering.TwitterPreprocess(Steering.EditAt(e.Words, labelAt, rep, antonyms, SplitMix.Derive(s, e.PromptIndex)).Steered));
                            var p = classifier.Probabilities(texts);
                            row["p0"] = (double)p[0][c];
                            row["p_highest"] = (double)p[1][c];
                            row["shift"] = (double)p[0][c] - p[1][c];
                            row["p_label"] = labelAt >= 0 ? (double)p[2][c] : null;
                            shifts.Add((double)p[0][c] - p[1][c]);
                        }
                        rows.Add(row);
                    }
                    summary = $"mean sentiment shift p0 − p_highest = {(shifts.Count == 0 ? double.NaN : shifts.Average()).ToString("0.000", CultureInfo.InvariantCulture)} over {shifts.Count} prompts";
                }
                else
                {
                    using var models = m.Open(parse, 1.0, PromptTemplates.SemexSystem, "tfidf", needScorer: false);
                    active = models.Caller;
                    if (models.Responder is IdentityResponder) throw new InputDataException("text steer --judge needs the answering model: give --llm URL --llm-model NAME.");
                    var judgeSettings = new ChatSettings
                    {
                        Endpoint = TextModelOptions.ParseUrl("--judge", parse.GetValue(judge)!),
                        Model = parse.GetValue(judgeModel) ?? throw new InputDataException("--judge-model NAME is required with --judge."),
                        Temperature = 0, ApiKey = models.ApiKey, MaxRetries = parse.GetValue(m.MaxRetries), MaxConcurrency = parse.GetValue(m.Concurrency),
                    };
                    using var judgeLlm = new ChatResponder(judgeSettings, models.Caller);
                    var todo = new List<(Dictionary<string, object?> Row, SteeringEdit Edit)>();
                    foreach (var e in entries)
                    {
                        var row = Base(e, sidecar);
                        rows.Add(row);
                        if (!e.Valid) { row["reason"] = "explanation undefined (NaN scores): skipped"; continue; }
                        var edit = Steering.Edit(e.Words, e.Scores, rep, antonyms, SplitMix.Derive(s, e.PromptIndex));
                        Fill(row, edit);
                        todo.Add((row, edit));
                    }
                    var answers = models.Responder.RespondAsync([.. todo.Select(t => t.Edit.Steered)], interrupt.Token).GetAwaiter().GetResult();
                    var judged = new List<int>();
                    var requests = new List<string>();
                    for (int i = 0; i < todo.Count; i++)
                    {
                        todo[i].Row["answer"] = answers[i].Text;
                        if (answers[i].Text is null) { todo[i].Row["reason"] = $"no answer ({answers[i].SkipReason})"; continue; }
                        judged.Add(i);
                        requests.Add(Steering.JudgePrompt((string)todo[i].Row["original"]!, answers[i].Text!));
                    }
                    var verdicts = judgeLlm.RespondAsync(requests, interrupt.Token).GetAwaiter().GetResult();
                    int unsafeCount = 0, counted = 0;
                    for (int j = 0; j < judged.Count; j++)
                    {
                        var row = todo[judged[j]].Row;
                        row["verdict"] = verdicts[j].Text;
                        var parsed = verdicts[j].Text is { } v ? Steering.ParseVerdict(v) : null;
                        if (parsed is null) { row["reason"] = "the judge's reply has no '[RESULT]: safe|unsafe'"; continue; }
                        row["score"] = parsed.Value.Score is { } sc ? (double)sc : null;
                        row["unsafe"] = parsed.Value.Unsafe ? 1.0 : 0.0;
                        counted++;
                        if (parsed.Value.Unsafe) unsafeCount++;
                    }
                    summary = $"attack success rate {(counted == 0 ? double.NaN : unsafeCount / (double)counted).ToString("0.000", CultureInfo.InvariantCulture)} ({unsafeCount} unsafe of {counted} judged); {models.Caller.Calls} model calls, {models.Caller.Hits} cache hits";
                }
            }
            catch (OperationCanceledException) when (interrupt.Requested)
            {
                return TextRun.Cancelled(context, active);
            }
            var columns = safety
                ? new[] { "answer", "verdict", "score", "unsafe" }
                : ["p0", "p_highest", "shift", "p_label"];
            var table = new ResultTable()
                .Add(new Int64Column("prompt_index", [.. rows.Select(r => Convert.ToInt64(r["prompt_index"], CultureInfo.InvariantCulture))]))
                .Add(new DoubleColumn("position", [.. rows.Select(r => r.GetValueOrDefault("position") is int p ? p + 1.0 : double.NaN)]));
            foreach (var name in new[] { "word", "replacement", "original", "steered" })
                table.Add(new StringColumn(name, [.. rows.Select(r => r.GetValueOrDefault(name) as string)]));
            foreach (var name in columns)
            {
                if (name is "answer" or "verdict") table.Add(new StringColumn(name, [.. rows.Select(r => r.GetValueOrDefault(name) as string)]));
                else table.Add(new DoubleColumn(name, [.. rows.Select(r => r.GetValueOrDefault(name) is double d ? d : double.NaN)]));
            }
            table.Add(new StringColumn("reason", [.. rows.Select(r => r.GetValueOrDefault("reason") as string)]));
            var line = $"Steered {rows.Count} prompts ({(rep == SteeringReplacement.Antonym ? "antonyms from WordNet: a deviation from the reference's ConceptNet" : "highest word removed")}): {summary}";
            int exit = rows.Any(r => r.GetValueOrDefault("reason") is not null) ? ExitCodes.Failed : ExitCodes.Ok;
            run.Commit(() => ResultWriter.Write(table, outPath), exit, line);
            context.Out.WriteLine($"{line}, in {clock.Elapsed.TotalSeconds:0.0} s → {outPath}");
            return exit;
        });
        return command;
    }

    private static Dictionary<string, object?> Base(AttributionsFile.Entry e, Dictionary<int, AttributionsFile.Sidecar> sidecar) => new()
    {
        ["prompt_index"] = (long)e.PromptIndex,
        ["original"] = sidecar.GetValueOrDefault(e.PromptIndex)?.Prompt ?? string.Join(' ', e.Words),
    };

    private static void Fill(Dictionary<string, object?> row, SteeringEdit edit)
    {
        row["position"] = edit.Position;
        row["word"] = edit.Word;
        row["replacement"] = edit.Replacement;
        row["steered"] = edit.Steered;
    }
}
