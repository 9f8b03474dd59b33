using System.Text.Json;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using Sightline.IO;
using Sightline.Text.Calls;

namespace Sightline.Text.Values;

/// <summary>
/// A text classifier the user brings as an ONNX file (a Hugging Face export: inputs <c>input_ids</c>,
/// <c>attention_mask</c> and optionally <c>token_type_ids</c>, int64 B×T; first output B×K logits), with its tokenizer
/// files beside it or named: BERT-style WordPiece from <c>vocab.txt</c> ([CLS] … [SEP]), or RoBERTa-style byte-level BPE
/// from <c>vocab.json</c> + <c>merges.txt</c> (&lt;s&gt; … &lt;/s&gt;, padding &lt;pad&gt;). Class names come from a
/// <c>config.json</c> beside the model (<c>id2label</c>) or <c>--classifier-labels</c>. p(c | x) = softmax(logits)_c;
/// forwards run in batches and go through the call cache (key: the model's content hash and the text).
/// </summary>
public sealed class OnnxTextClassifier : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Func<string, int[]> _encode;
    private readonly int _padId;
    private readonly CachedCaller _caller;
    private readonly string _hash;

    /// <summary>Class names, in logit order.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>The tokenizer kind in use: "bert" or "roberta".</summary>
    public string TokenizerKind { get; }

    /// <summary>Largest input length in tokens (special tokens included).</summary>
    public int MaxLength { get; }

    /// <summary>Texts per run.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Opens the classifier.</summary>
    /// <param name="modelPath">The ONNX file.</param>
    /// <param name="caller">The call cache.</param>
    /// <param name="vocab">vocab.txt (BERT) or vocab.json (RoBERTa); default: beside the model.</param>
    /// <param name="merges">merges.txt (RoBERTa); default: beside the model when vocab.json is used.</param>
    /// <param name="labels">Class names; default: config.json's id2label beside the model, else 0..K−1.</param>
    /// <param name="maxLength">Token limit (default 512).</param>
    public OnnxTextClassifier(string modelPath, CachedCaller caller, string? vocab = null, string? merges = null, IReadOnlyList<string>? labels = null, int maxLength = 512)
    {
        IO.TextInputFile.CheckFile(modelPath, "--classifier", "an ONNX text classifier (m.onnx)");
        _caller = caller;
        MaxLength = maxLength;
        _hash = ContentHash.OfFile(modelPath);
        var dir = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        vocab ??= File.Exists(Path.Combine(dir, "vocab.txt")) ? Path.Combine(dir, "vocab.txt")
                : File.Exists(Path.Combine(dir, "vocab.json")) ? Path.Combine(dir, "vocab.json")
                : throw new InputDataException($"--classifier {modelPath}: no vocab.txt (BERT) or vocab.json + merges.txt (RoBERTa) beside it; give --classifier-vocab.");
        IO.TextInputFile.CheckFile(vocab, "--classifier-vocab", "a vocab.txt (BERT) or vocab.json (RoBERTa)");
        try
        {
            if (vocab.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            {
                merges ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vocab))!, "merges.txt");
                IO.TextInputFile.CheckFile(merges, "--classifier-merges", "the merges.txt of a RoBERTa tokenizer (it needs vocab.json and merges.txt)");
                var ids = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocab))!;
                int Id(string t) => ids.TryGetValue(t, out var i) ? i : throw new InputDataException($"--classifier-vocab {vocab}: no '{t}' token; a RoBERTa vocabulary has <s>, </s> and <pad>.");
                int bos = Id("<s>"), eos = Id("</s>");
                _padId = ids.GetValueOrDefault("<pad>", 1);
                // Microsoft.ML.Tokenizers' byte-level BPE wants GPT-2's unknown token; RoBERTa vocabularies lack it, and a
                // byte-level BPE never emits it, so it is added at an unused id.
                if (!ids.ContainsKey("<|endoftext|>")) ids["<|endoftext|>"] = ids.Values.Max() + 1;
                using var v = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(ids));
                using var m = File.OpenRead(merges);
                var bpe = CodeGenTokenizer.Create(v, m, addPrefixSpace: false, addBeginOfSentence: false, addEndOfSentence: false);
                _encode = text =>
                {
                    var body = bpe.EncodeToIds(text, addPrefixSpace: false, addBeginningOfSentence: false, addEndOfSentence: false);
                    return [bos, .. body.Take(MaxLength - 2), eos];
                };
                TokenizerKind = "roberta";
            }
            else
            {
                using var v = File.OpenRead(vocab);
                var bert = BertTokenizer.Create(v, new BertOptions { LowerCaseBeforeTokenization = true });
                _padId = bert.PaddingTokenId;
                _encode = text =>
                {
                    var ids = bert.EncodeToIds(text, addSpecialTokens: true);
                    if (ids.Count <= MaxLength) return [.. ids];
                    return [.. ids.Take(MaxLength - 1), bert.SeparatorTokenId];
                };
                TokenizerKind = "bert";
            }
        }
        catch (Exception ex) when (ex is not InputDataException && ex is ArgumentException or FormatException or JsonException or InvalidOperationException)
        {
            throw new InputDataException($"--classifier-vocab {vocab}: cannot build the tokenizer ({ex.Message.TrimEnd('.')}).", ex);
        }
        try { _session = new InferenceSession(modelPath); }
        catch (OnnxRuntimeException ex) { throw new InputDataException($"--classifier {modelPath}: ONNX Runtime cannot load it ({ex.Message.ReplaceLineEndings(" ").TrimEnd('.')}).", ex); }
        foreach (var name in _session.InputMetadata.Keys)
            if (name is not ("input_ids" or "attention_mask" or "token_type_ids"))
                throw new InputDataException($"--classifier {modelPath}: unexpected input '{name}'; a text classifier takes input_ids, attention_mask (and token_type_ids).");
        var dims = _session.OutputMetadata.First().Value.Dimensions;
        int k = dims.Length == 2 && dims[1] > 0 ? dims[1] : -1;
        if (labels is null)
        {
            var config = Path.Combine(dir, "config.json");
            if (File.Exists(config)) labels = ReadId2Label(config);
        }
        if (labels is null)
        {
            if (k <= 0) k = Logits(["x"])[0].Length;
            labels = [.. Enumerable.Range(0, k).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        }
        Labels = labels;
    }

    /// <summary>
    /// The files a classifier opened with these arguments reads (the model, its vocabulary, merges and config.json,
    /// resolved as the constructor does; those that exist), for run signatures.
    /// </summary>
    public static IEnumerable<string> FilesRead(string modelPath, string? vocab = null, string? merges = null)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        vocab ??= File.Exists(Path.Combine(dir, "vocab.txt")) ? Path.Combine(dir, "vocab.txt") : Path.Combine(dir, "vocab.json");
        if (vocab.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) merges ??= Path.Combine(Path.GetDirectoryName(Path.GetFullPath(vocab))!, "merges.txt");
        return new[] { modelPath, vocab, merges, Path.Combine(dir, "config.json") }.Where(f => f is not null && File.Exists(f)).Select(f => f!);
    }

    /// <summary>The index of class <paramref name="name"/> (a label, case-insensitive, or an index).</summary>
    public int ClassIndex(string name)
    {
        for (int i = 0; i < Labels.Count; i++) if (string.Equals(Labels[i], name, StringComparison.OrdinalIgnoreCase)) return i;
        if (int.TryParse(name, out var k) && k >= 0 && k < Labels.Count) return k;
        throw new InputDataException($"--classifier-class '{name}': the classifier's classes are {string.Join(", ", Labels)}.");
    }

    /// <summary>The token ids of <paramref name="text"/> with the special tokens.</summary>
    public int[] Encode(string text) => _encode(text);

    /// <summary>Class probabilities per text (softmax of the logits), through the cache.</summary>
    public float[][] Probabilities(IReadOnlyList<string> texts, CancellationToken cancel = default) =>
        _caller.GetVectors(texts, t => CallKey.Of("classifier", _hash, TokenizerKind, MaxLength, t, 0), BatchSize, batch =>
        {
            var logits = Logits(batch);
            foreach (var p in logits) System.Numerics.Tensors.TensorPrimitives.SoftMax(p, p);
            return logits;
        }, cancel);

    /// <summary>The logits of one batch (no cache).</summary>
    public float[][] Logits(IReadOnlyList<string> texts)
    {
        var encoded = texts.Select(_encode).ToArray();
        int batch = texts.Count, len = Math.Max(1, encoded.Max(e => e.Length));
        var ids = new DenseTensor<long>([batch, len]);
        var mask = new DenseTensor<long>([batch, len]);
        var types = new DenseTensor<long>([batch, len]);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < len; t++)
            {
                bool real = t < encoded[b].Length;
                ids[b, t] = real ? encoded[b][t] : _padId;
                mask[b, t] = real ? 1 : 0;
            }
        var inputs = _session.InputMetadata.Keys.Select(name => name switch
        {
            "input_ids" => NamedOnnxValue.CreateFromTensor(name, ids),
            "attention_mask" => NamedOnnxValue.CreateFromTensor(name, mask),
            _ => NamedOnnxValue.CreateFromTensor(name, types),
        }).ToList();
        using var outputs = _session.Run(inputs);
        var logits = outputs.First().AsTensor<float>();
        if (logits.Rank != 2 || logits.Dimensions[0] != batch)
            throw new InputDataException($"--classifier: the first output has shape [{string.Join(',', logits.Dimensions.ToArray())}]; a classifier returns B×K logits.");
        int k = logits.Dimensions[1];
        var flat = logits.ToArray();
        return [.. Enumerable.Range(0, batch).Select(b => flat.AsSpan(b * k, k).ToArray())];
    }

    private static string[]? ReadId2Label(string config)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config));
            if (!doc.RootElement.TryGetProperty("id2label", out var map)) return null;
            var pairs = map.EnumerateObject().Select(p => (Index: int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture), Label: p.Value.GetString()!)).OrderBy(p => p.Index).ToArray();
            return [.. pairs.Select(p => p.Label)];
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new InputDataException($"{config}: cannot read id2label ({ex.Message.TrimEnd('.')}).", ex);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}

/// <summary><c>--classifier m.onnx --classifier-class C</c>: v(reply) = p(C | reply); the target is not used.</summary>
public sealed class ClassifierScorer(OnnxTextClassifier classifier, int classIndex) : IReplyScorer
{
    /// <inheritdoc/>
    public string Describe => $"classifier p({classifier.Labels[classIndex]})";

    /// <inheritdoc/>
    public Task<double[]> ScoreAsync(string target, IReadOnlyList<string> replies, CancellationToken cancel = default) =>
        Task.FromResult(classifier.Probabilities(replies).Select(p => (double)p[classIndex]).ToArray());
}
