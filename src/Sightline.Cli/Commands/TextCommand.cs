using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Sightline.IO;
using Sightline.Text.Coalitions;
using Sightline.Text.Explainers;
using Sightline.Text.IO;
using Sightline.Text.Lexicon;
using Sightline.Text.Llm;
using Sightline.Text.Values;

namespace Sightline.Cli.Commands;

/// <summary>
/// <c>sightline text</c>: TokenSHAP (Goldshmidt &amp; Horovicz 2024) and SemeX (Amara et al. 2025) explanations of LLMs,
/// embedding models and text classifiers, and SemeX's evaluations: <c>explain</c>, <c>faithfulness</c>, <c>accuracy</c>,
/// <c>steer</c>, <c>demo</c>.
/// </summary>
public static class TextCommand
{
    /// <summary>The explainer names, as the SemeX README spells them.</summary>
    public static readonly string[] Explainers = ["tokenshap", "semex-B-r", "semex-B-n", "semex-B-a", "semex-A-n", "semex-A-a", "semex-R-n", "semex-R-a", "random"];

    /// <summary>Every accepted name: the listed ones plus the two combinations the SemeX README does not use (A-r, R-r).</summary>
    private static readonly string[] Accepted = [.. Explainers, "semex-A-r", "semex-R-r"];

    /// <summary>Builds the command group.</summary>
    public static Command Build(CliContext context) => Build(context, null);

    /// <summary>Builds the command group with only the child <paramref name="only"/> when it names one (see <see cref="CliApp.AddChildren"/>).</summary>
    internal static Command Build(CliContext context, string? only)
    {
        var command = new Command("text", "Explain text models with TokenSHAP and SemeX (LLMs over an OpenAI-compatible API, MiniLM embeddings, ONNX text classifiers) and evaluate the explanations (faithfulness curve, label accuracy, steering).");
        CliApp.AddChildren(command, only,
        [
            new("explain", () => BuildExplain(context)), new("faithfulness", () => TextEvaluationCommands.BuildFaithfulness(context)),
            new("accuracy", () => TextEvaluationCommands.BuildAccuracy(context)), new("steer", () => TextEvaluationCommands.BuildSteer(context)),
            new("demo", () => TextDemoCommand.Build(context)),
        ]);
        return command;
    }

    private static Command BuildExplain(CliContext context)
    {
        var prompt = new Option<string?>("--prompt") { Description = "One prompt to explain.", HelpName = "TEXT" };
        var prompts = new Option<string?>("--prompts") { Description = "Prompts: FILE.txt (one per line) or FILE.csv (a 'prompt' column; optional 'aspect', 'reference', 'label').", HelpName = "FILE" };
        var explainer = new Option<string>("--explainer") { Description = "tokenshap (players = tokens of a regex split), semex-T-R (players = content words; target T: B the full-prompt reply, A an aspect, R a reference; replacement R: r remove, n neutral word, a antonym), or random (U(0,1) per word, min-max normalised). Names: tokenshap, semex-B-r, semex-B-n, semex-B-a, semex-A-n, semex-A-a, semex-R-n, semex-R-a, random (and semex-A-r, semex-R-r).", Required = true, HelpName = "tokenshap|semex-T-R|random" };
        explainer.AcceptOnlyFromAmong(Accepted);
        var m = new TextModelOptions();
        var ratio = new Option<double>("--sampling-ratio") { Description = "tokenshap: share r of the 2^n − 1 − n non-essential coalitions to sample (0: essentials only, the leave-one-out closed form; ≥ 1: up to --max-combinations − n).", DefaultValueFactory = _ => 0.0, HelpName = "R" };
        var maxComb = new Option<string>("--max-combinations") { Description = "tokenshap: M, the cap on coalitions (raised to n when smaller), or 'none'.", DefaultValueFactory = _ => "1000", HelpName = "M|none" };
        var splitter = new Option<string>("--splitter") { Description = "tokenshap: regex that splits the cleaned prompt into tokens (a single space by default, so punctuation stays attached).", DefaultValueFactory = _ => " ", HelpName = "REGEX" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "tokenshap: split with a WordPiece tokenizer instead of --splitter: 'minilm' (all-MiniLM-L6-v2's) or a BERT vocab.txt; reduced prompts are rejoined as the tokenizer's convert-tokens-to-string does (\" ##\" glued).", HelpName = "minilm|vocab.txt" };
        var seed = new Option<int>("--seed") { Description = "Seed of the random coalitions (prompt i uses a stream derived from it) and of the random explainer.", DefaultValueFactory = _ => 0, HelpName = "S" };
        var aspect = new Option<string?>("--aspect") { Description = "semex-A-*: the aspect target (e.g. positive) for prompts without an 'aspect' column.", HelpName = "TEXT" };
        var legacy = new Option<bool>("--legacy-one-based-coalitions") { Description = "semex-*: reproduce the reference's random-coalition indexing bug (1-based bits: concept 0 never present, the empty coalition reachable; spec §4.4)." };
        var antonyms = new Option<string>("--antonyms") { Description = "semex-*-a: antonyms from one LLM call (llm, the reference) or from WordNet offline (wordnet: a deviation, flagged in the output).", DefaultValueFactory = _ => "llm", HelpName = "llm|wordnet" };
        antonyms.AcceptOnlyFromAmong("llm", "wordnet");
        var replUrl = new Option<string?>("--replacement-llm") { Description = "semex-*-n/-a: the chat API for the replacement list (one call per prompt, T 1.0, \"You are a helpful assistant\"); default --llm.", HelpName = "URL" };
        var replModel = new Option<string?>("--replacement-llm-model") { Description = "Model of --replacement-llm (default --llm-model; the reference uses gpt-4o-mini).", HelpName = "NAME" };
        var wordnet = new Option<string?>("--wordnet") { Description = "semex-*: the WordNet database folder (default /usr/share/wordnet from Debian's wordnet-base). Content words come from WordNet's parts of speech and spaCy's stop list, not spaCy's tagger: tags can differ from spaCy's.", HelpName = "DIR" };
        var force = TextRun.Force();
        var output = new Option<string>("--out") { Description = "attributions.csv (or .json/.parquet): prompt_index (0-based), player_index (1-based), player, value (ψ; SemeX's non-concept words −1; empty when undefined), reason; plus OUT.coalitions.jsonl with each prompt's coalitions, responses and similarities.", Required = true, HelpName = "attributions.csv" };

        var command = new Command("explain", "Attributions of a prompt's tokens (TokenSHAP) or content words (SemeX) to the model's response: Monte-Carlo coalitions, with-minus-without estimate, min-shift-and-sum normalisation.")
        {
            prompt, prompts, explainer,
        };
        foreach (var o in m.All) command.Add(o);
        foreach (var o in new Option[] { ratio, maxComb, splitter, tokenizer, seed, aspect, legacy, antonyms, replUrl, replModel, wordnet, output, force }) command.Add(o);
        command.SetAction(parse =>
        {
            var clock = Stopwatch.StartNew();
            var name = parse.GetValue(explainer)!;
            var list = ReadPrompts(parse.GetValue(prompt), parse.GetValue(prompts));
            var outPath = parse.GetValue(output)!;
            ResultWriter(outPath);
            var sidecar = AttributionsFile.SidecarFor(outPath);
            var tok = parse.GetValue(tokenizer);
            var plan = new PathPlan().Input("--prompts", parse.GetValue(prompts)).Input("--tokenizer", tok is null or "minilm" ? null : tok);
            foreach (var (o, p) in m.Inputs(parse)) plan.Input(o, p);
            plan.Output("--out", outPath).Output("the coalitions sidecar of --out", sidecar).Output("the run record of --out", TextRunRecord.PathFor(outPath)).Check();
            var files = new List<(string, string?)> { ("--prompts", parse.GetValue(prompts)), ("--tokenizer", tok is null or "minilm" ? null : tok) };
            files.AddRange(m.FilesRead(parse));
            bool tokenshap = name == "tokenshap";
            var semex = SemexOptions.TryParse(name);
            using var models = m.Open(parse, tokenshap ? 0.5 : 1.0, tokenshap ? null : PromptTemplates.SemexSystem, tokenshap ? "tfidf" : "minilm");
            var owned = new List<IDisposable>();
            try
            {
                ITextExplainer x;
                string deviation = "";
                if (tokenshap)
                {
                    var mc = parse.GetValue(maxComb)!;
                    int? cap = mc.Equals("none", StringComparison.OrdinalIgnoreCase) ? null
                        : int.TryParse(mc, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) && c >= 0 ? c
                        : throw new InputDataException($"--max-combinations '{mc}': give an integer ≥ 0 or 'none'.");
                    var options = new TokenShapOptions { SamplingRatio = parse.GetValue(ratio), MaxCombinations = cap, Splitter = parse.GetValue(splitter)!, Tokenizer = tok is null ? null : WordPieceSplitter.Open(tok) };
                    CoalitionSampler.TokenShapExtra(2, options.SamplingRatio, options.MaxCombinations); // validates r and M up front
                    x = new TokenShapExplainer(options);
                }
                else if (semex is not null)
                {
                    semex = semex with { Aspect = parse.GetValue(aspect), LegacyOneBasedCoalitions = parse.GetValue(legacy) };
                    if (semex.Target == SemexTarget.Aspect && semex.Aspect is null && list.Any(p => p.Aspect is null))
                        throw new InputDataException($"--explainer {name}: target A needs --aspect TEXT or an 'aspect' column in every row of --prompts.");
                    if (semex.Target == SemexTarget.Reference && list.Any(p => p.Reference is null))
                        throw new InputDataException($"--explainer {name}: target R needs a 'reference' column in every row of --prompts (a CSV).");
                    var wn = WordNet.Open(parse.GetValue(wordnet));
                    files.AddRange(wn.Files.Select(f => ("--wordnet", (string?)f)));
                    IReplacementProvider repl;
                    if (semex.Strategy == ReplacementStrategy.Remove) repl = new RemovalReplacements();
                    else if (semex.Strategy == ReplacementStrategy.Antonym && parse.GetValue(antonyms) == "wordnet")
                    {
                        repl = new WordNetAntonyms(wn);
                        deviation = " (antonyms from WordNet: a deviation from SemeX, which asks an LLM)";
                    }
                    else
                    {
                        var url = parse.GetValue(replUrl) ?? parse.GetValue(m.Llm)!;
                        if (url.Equals("none", StringComparison.OrdinalIgnoreCase))
                            throw new InputDataException($"--explainer {name}: {(semex.Strategy == ReplacementStrategy.Neutral ? "neutral words" : "antonyms")} come from an LLM: give --replacement-llm URL --replacement-llm-model NAME{(semex.Strategy == ReplacementStrategy.Antonym ? ", or --antonyms wordnet" : "")}.");
                        var model = parse.GetValue(replModel) ?? parse.GetValue(m.LlmModel) ?? throw new InputDataException("--replacement-llm-model NAME is required with --replacement-llm.");
                        var settings = new ChatSettings
                        {
                            Endpoint = TextModelOptions.ParseUrl("--replacement-llm", url), Model = model, Temperature = 1.0, SystemMessage = PromptTemplates.SemexSystem,
                            ApiKey = models.ApiKey, MaxRetries = parse.GetValue(m.MaxRetries), RequestsPerMinute = parse.GetValue(m.RateLimit),
                        };
                        var llm = new ChatResponder(settings, models.Caller);
                        owned.Add(llm);
                        repl = new LlmReplacements(llm, semex.Strategy);
                    }
                    x = new SemexExplainer(semex, new ContentWords(wn), repl);
                }
                else x = new RandomTextExplainer();
                var ctx = new TextExplainContext(models.Responder, models.Scorer, (ulong)parse.GetValue(seed));
                var signature = TextRun.Signature(parse, "text explain", files);
                using var run = TextRun.Begin(parse, "--out", "text explain", signature, [outPath, sidecar]);
                if (run.Complete is { } done) return TextRun.AlreadyComplete(context, outPath, done);
                List<TextExplanation> explanations;
                using (var interrupt = new TextRun.Interrupt())
                {
                    try
                    {
                        using var progress = new TextProgress(context, $"text explain ({name})", list.Count, models.Caller);
                        explanations = TextExplainRun.RunAsync(list, x, ctx, progress, interrupt.Token).GetAwaiter().GetResult();
                    }
                    catch (OperationCanceledException) when (interrupt.Requested)
                    {
                        return TextRun.Cancelled(context, models.Caller);
                    }
                }
                int undefined = explanations.Count(e => e.Reason is not null);
                var summary = $"{list.Count} prompt{(list.Count == 1 ? "" : "s")} explained with {name}{deviation}, {undefined} without an explanation";
                int exit = undefined > 0 ? ExitCodes.Failed : ExitCodes.Ok;
                run.Commit(() => AttributionsFile.Write(explanations, outPath), exit, summary);
                context.Out.WriteLine($"Explained {list.Count} prompt{(list.Count == 1 ? "" : "s")} with {name}{deviation}: {models.Caller.Calls} model calls, {models.Caller.Hits} cache hits, in {clock.Elapsed.TotalSeconds:0.0} s → {outPath}, {sidecar}");
                if (undefined > 0)
                    context.Error.WriteLine($"sightline: {undefined} of {list.Count} prompts have no explanation (empty value, reason in the reason column of {outPath}).");
                return exit;
            }
            finally
            {
                foreach (var d in owned) d.Dispose();
            }
        });
        return command;
    }

    /// <summary>Checks that <c>--out</c> names a result file (.csv, .json, .parquet), not a folder or another extension.</summary>
    internal static void ResultWriter(string path)
    {
        if (Directory.Exists(path)) throw new InputDataException($"--out {path}: is a folder; give a file name ending in .csv, .json or .parquet.");
        try { Sightline.Results.ResultWriter.FormatOf(path); }
        catch (InputDataException e) { throw new InputDataException($"--out {e.Message}"); }
    }

    /// <summary>--prompt or --prompts (exactly one).</summary>
    internal static List<TextPrompt> ReadPrompts(string? prompt, string? file)
    {
        if ((prompt is null) == (file is null)) throw new InputDataException("give exactly one of --prompt \"TEXT\" and --prompts FILE.txt|FILE.csv.");
        return prompt is not null ? [new TextPrompt(0, prompt)] : PromptFile.Read(file!);
    }
}
