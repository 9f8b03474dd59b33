using System.CommandLine;
using System.Globalization;
using Sightline.Text.Calls;
using Sightline.Text.Llm;
using Sightline.Text.Values;

namespace Sightline.Cli.Commands;

/// <summary>
/// The options every <c>sightline text</c> command shares to reach the explained model and the value function: the LLM
/// (<c>--llm URL|none</c>, model, key variable, temperature, template, system message, concurrency, rate limit,
/// retries), the vectoriser or classifier, and the call cache.
/// </summary>
internal sealed class TextModelOptions
{
    public Option<string> Llm { get; } = new("--llm") { Description = "The explained model: an OpenAI-compatible chat API base URL (llama.cpp server, vLLM, Ollama, OpenAI: e.g. http://127.0.0.1:8080/v1; requests go to URL/chat/completions), or 'none': the text itself is the response, so the value function (embedder or classifier) is the explained model.", Required = true, HelpName = "URL|none" };
    public Option<string?> LlmModel { get; } = new("--llm-model") { Description = "Model name sent to the API (required with a URL).", HelpName = "NAME" };
    public Option<string?> KeyEnv { get; } = new("--llm-key-env") { Description = "Name of the environment variable holding the API key (never give a key on the command line); default: no key.", HelpName = "VAR" };
    public Option<double?> Temperature { get; } = new("--temperature") { Description = "Sampling temperature; default the explainer's reference: tokenshap 0.5, semex-* and random 1.0. With T > 0 every repeated request is a separate draw, recorded in the cache.", HelpName = "T" };
    public Option<string> Template { get; } = new("--template") { Description = "User message around each input: none (the input as is), sentiment (SemeX's SST-2 question), instruction (SemeX's Alpaca/GenderBias/SALAD wrapping), or a string containing {text}.", DefaultValueFactory = _ => "none", HelpName = "none|sentiment|instruction|TEXT" };
    public Option<string?> System { get; } = new("--system") { Description = "System message, or 'none'; default SemeX's \"You are a helpful assistant\" for semex-* and random, none for tokenshap (one user message).", HelpName = "TEXT|none" };
    public Option<int?> MaxTokens { get; } = new("--max-tokens") { Description = "Largest reply length in tokens; default the server's (the references set none for API models).", HelpName = "N" };
    public Option<int> Concurrency { get; } = new("--concurrency") { Description = "Requests in flight at once (a prompt's coalitions are sent concurrently).", DefaultValueFactory = _ => 8, HelpName = "N" };
    public Option<double> RateLimit { get; } = new("--rate-limit") { Description = "Client-side limit in requests per minute (0 = none; the SemeX reference uses 100 for OpenAI).", DefaultValueFactory = _ => 0, HelpName = "N" };
    public Option<int> MaxRetries { get; } = new("--max-retries") { Description = "Retries on HTTP 429 and 5xx, waiting 1 s·2^k + U(0, 0.5) s before retry k (the reference: 10).", DefaultValueFactory = _ => 10, HelpName = "N" };
    public Option<string> Vectorizer { get; } = new("--vectorizer") { Description = "Text vectoriser of the similarity: minilm (all-MiniLM-L6-v2 on ONNX Runtime, offline), tfidf (scikit-learn TfidfVectorizer defaults refitted per prompt, TokenSHAP's), openai (URL/embeddings of --embedding-url; the OpenAI SDK requests base64 float32, the server must support it). Default: tfidf for tokenshap, minilm otherwise.", HelpName = "minilm|tfidf|openai" };
    public Option<string?> EmbeddingUrl { get; } = new("--embedding-url") { Description = "Base URL of the embeddings API for --vectorizer openai (default --llm's).", HelpName = "URL" };
    public Option<string> EmbeddingModel { get; } = new("--embedding-model") { Description = "Embedding model for --vectorizer openai.", DefaultValueFactory = _ => "text-embedding-3-small", HelpName = "NAME" };
    public Option<string?> Classifier { get; } = new("--classifier") { Description = "An ONNX text classifier (a Hugging Face export: input_ids, attention_mask[, token_type_ids] → logits) whose class probability is the value instead of a similarity; its tokenizer is vocab.txt (BERT WordPiece) or vocab.json + merges.txt (RoBERTa BPE) beside it, class names from config.json's id2label.", HelpName = "m.onnx" };
    public Option<string?> ClassifierClass { get; } = new("--classifier-class") { Description = "The class whose probability is the value (a label from id2label or an index).", HelpName = "C" };
    public Option<string?> ClassifierVocab { get; } = new("--classifier-vocab") { Description = "The classifier's vocab.txt or vocab.json, when not beside the model.", HelpName = "FILE" };
    public Option<string?> ClassifierMerges { get; } = new("--classifier-merges") { Description = "The classifier's merges.txt (RoBERTa), when not beside the vocabulary.", HelpName = "FILE" };
    public Option<string?> ClassifierLabels { get; } = new("--classifier-labels") { Description = "Comma-separated class names in logit order, when there is no config.json.", HelpName = "a,b,..." };
    public Option<string?> Cache { get; } = new("--cache") { Description = "Folder of a content-addressed SQLite cache of every model call (calls.sqlite), keyed by endpoint, model, parameters, messages and draw: a rerun costs no calls and a killed run resumes where it stopped. Without it calls are cached in memory for the run only.", HelpName = "DIR" };

    public IEnumerable<Option> All => [Llm, LlmModel, KeyEnv, Temperature, Template, System, MaxTokens, Concurrency, RateLimit, MaxRetries, Vectorizer, EmbeddingUrl, EmbeddingModel, Classifier, ClassifierClass, ClassifierVocab, ClassifierMerges, ClassifierLabels, Cache];

    public TextModelOptions()
    {
        Vectorizer.AcceptOnlyFromAmong("minilm", "tfidf", "openai");
    }

    /// <summary>The models of one command run; dispose at the end.</summary>
    internal sealed class Models : IDisposable
    {
        public required CachedCaller Caller { get; init; }
        public required ITextResponder Responder { get; init; }
        public required IReplyScorer Scorer { get; init; }
        public string? ApiKey { get; init; }
        public required List<IDisposable> Owned { get; init; }
        public required string Description { get; init; }

        public void Dispose()
        {
            for (int i = Owned.Count - 1; i >= 0; i--) Owned[i].Dispose();
        }
    }

    public static string? ApiKeyFrom(string? variable)
    {
        if (variable is null) return null;
        var key = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(key)) throw new InputDataException($"--llm-key-env {variable}: that environment variable is not set or empty; export the API key in it.");
        return key;
    }

    public static Uri ParseUrl(string option, string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            throw new InputDataException($"{option} '{url}': give an http(s) URL such as http://127.0.0.1:8080/v1, or 'none'.");
        return uri;
    }

    /// <summary>Chat settings of <c>--llm</c> (null for none).</summary>
    public ChatSettings? ChatSettings(ParseResult parse, double defaultTemperature, string? defaultSystem, string? apiKey)
    {
        var url = parse.GetValue(Llm)!;
        if (url.Equals("none", StringComparison.OrdinalIgnoreCase)) return null;
        var endpoint = ParseUrl("--llm", url);
        var model = parse.GetValue(LlmModel) ?? throw new InputDataException("--llm-model NAME is required with an --llm URL.");
        double t = parse.GetValue(Temperature) ?? defaultTemperature;
        if (!(t >= 0) || double.IsInfinity(t)) throw new InputDataException($"--temperature {t.ToString(CultureInfo.InvariantCulture)}: give a finite number ≥ 0.");
        int concurrency = parse.GetValue(Concurrency);
        if (concurrency < 1) throw new InputDataException("--concurrency must be ≥ 1.");
        double rate = parse.GetValue(RateLimit);
        if (!(rate >= 0) || double.IsInfinity(rate)) throw new InputDataException("--rate-limit must be a finite number ≥ 0 (requests per minute; 0 = none).");
        int retries = parse.GetValue(MaxRetries);
        if (retries < 0) throw new InputDataException("--max-retries must be ≥ 0.");
        var system = parse.GetValue(System) is { } s ? (s.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : s) : defaultSystem;
        if (parse.GetValue(MaxTokens) is < 1) throw new InputDataException("--max-tokens must be ≥ 1.");
        return new ChatSettings
        {
            Endpoint = endpoint, Model = model, Temperature = t, SystemMessage = system, Template = PromptTemplates.Resolve(parse.GetValue(Template)!),
            MaxConcurrency = concurrency, RequestsPerMinute = rate, MaxRetries = retries, MaxTokens = parse.GetValue(MaxTokens), ApiKey = apiKey,
            RetryBaseDelay = RetryBase,
        };
    }

    /// <summary>Backoff base (tests shorten it through SIGHTLINE_TEXT_RETRY_BASE_MS).</summary>
    private static TimeSpan RetryBase =>
        Environment.GetEnvironmentVariable("SIGHTLINE_TEXT_RETRY_BASE_MS") is { } ms && int.TryParse(ms, out var v) && v >= 0 ? TimeSpan.FromMilliseconds(v) : TimeSpan.FromSeconds(1);

    /// <summary>Opens the cache, the responder and the scorer.</summary>
    public Models Open(ParseResult parse, double defaultTemperature, string? defaultSystem, string defaultVectorizer, bool needScorer = true)
    {
        var owned = new List<IDisposable>();
        try
        {
            ICallCache cache = parse.GetValue(Cache) is { } dir ? new SqliteCallCache(dir) : new MemoryCallCache();
            owned.Add(cache);
            var caller = new CachedCaller(cache);
            var key = ApiKeyFrom(parse.GetValue(KeyEnv));
            var settings = ChatSettings(parse, defaultTemperature, defaultSystem, key);
            ITextResponder responder = settings is null ? new IdentityResponder() : new ChatResponder(settings, caller);
            if (responder is IDisposable d) owned.Add(d);
            IReplyScorer scorer = needScorer ? OpenScorer(parse, caller, key, defaultVectorizer, owned) : new TfidfScorer();
            return new Models
            {
                Caller = caller, Responder = responder, Scorer = scorer, ApiKey = key, Owned = owned,
                Description = $"model {responder.Describe}, value {scorer.Describe}, cache {cache.Location}",
            };
        }
        catch
        {
            for (int i = owned.Count - 1; i >= 0; i--) owned[i].Dispose();
            throw;
        }
    }

    private IReplyScorer OpenScorer(ParseResult parse, CachedCaller caller, string? key, string defaultVectorizer, List<IDisposable> owned)
    {
        if (parse.GetValue(Classifier) is { } model)
        {
            var cls = parse.GetValue(ClassifierClass) ?? throw new InputDataException("--classifier needs --classifier-class C (the class whose probability is the value).");
            if (parse.GetValue(Vectorizer) is not null) throw new InputDataException("--vectorizer and --classifier exclude each other: the value is either a similarity or a class probability.");
            var classifier = OpenClassifier(parse, caller, model);
            owned.Add(classifier);
            return new ClassifierScorer(classifier, classifier.ClassIndex(cls));
        }
        if (parse.GetValue(ClassifierClass) is not null) throw new InputDataException("--classifier-class needs --classifier m.onnx.");
        return OpenVectorizer(parse, caller, key, parse.GetValue(Vectorizer) ?? defaultVectorizer, owned);
    }

    public OnnxTextClassifier OpenClassifier(ParseResult parse, CachedCaller caller, string model)
    {
        var labels = parse.GetValue(ClassifierLabels)?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return new OnnxTextClassifier(model, caller, parse.GetValue(ClassifierVocab), parse.GetValue(ClassifierMerges), labels);
    }

    /// <summary>The vectoriser's scorer (tfidf, minilm or openai).</summary>
    public IReplyScorer OpenVectorizer(ParseResult parse, CachedCaller caller, string? key, string name, List<IDisposable> owned)
    {
        switch (name)
        {
            case "tfidf": return new TfidfScorer();
            case "minilm": return new EmbeddingScorer(new MiniLmEmbedder(caller));
            default:
                var url = parse.GetValue(EmbeddingUrl) ?? parse.GetValue(Llm)!;
                if (url.Equals("none", StringComparison.OrdinalIgnoreCase))
                    throw new InputDataException("--vectorizer openai needs an embeddings API: give --embedding-url URL (or an --llm URL).");
                var embedder = new OpenAiEmbedder(ParseUrl("--embedding-url", url), parse.GetValue(EmbeddingModel)!, key, caller);
                owned.Add(embedder);
                return new EmbeddingScorer(embedder);
        }
    }

    /// <summary>Every file the model options make the run read (the classifier and the files beside it), for the run signature.</summary>
    public IEnumerable<(string Option, string? Path)> FilesRead(ParseResult parse) =>
        parse.GetValue(Classifier) is { } model && File.Exists(model)
            ? OnnxTextClassifier.FilesRead(model, parse.GetValue(ClassifierVocab), parse.GetValue(ClassifierMerges)).Select(f => ("--classifier", (string?)f))
            : [];

    /// <summary>The files read, for PathPlan.</summary>
    public IEnumerable<(string Option, string? Path)> Inputs(ParseResult parse) =>
        [("--classifier", parse.GetValue(Classifier)), ("--classifier-vocab", parse.GetValue(ClassifierVocab)), ("--classifier-merges", parse.GetValue(ClassifierMerges))];
}

/// <summary>Progress of a text command on a terminal: prompts done, model calls, cache hits.</summary>
internal sealed class TextProgress(CliContext context, string label, int total, CachedCaller caller) : IProgress<int>, IDisposable
{
    private readonly global::System.Diagnostics.Stopwatch _clock = global::System.Diagnostics.Stopwatch.StartNew();
    private long _last = -1000;
    private bool _drawn;

    public void Report(int value)
    {
        if (!context.Interactive) return;
        long now = _clock.ElapsedMilliseconds;
        if (now - _last < 200 && value < total) return;
        _last = now;
        context.Error.Write($"\r{label}: {value}/{total} prompts, {caller.Calls} calls, {caller.Hits} cache hits, {_clock.Elapsed.TotalSeconds:0} s   ");
        _drawn = true;
    }

    public void Dispose()
    {
        if (_drawn) context.Error.WriteLine();
    }
}
