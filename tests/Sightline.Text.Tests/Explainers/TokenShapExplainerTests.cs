using Sightline.Text.Calls;
using Sightline.Text.Coalitions;
using Sightline.Text.Explainers;
using Sightline.Text.Llm;
using Sightline.Text.Tests.Loopback;
using Sightline.Text.Values;

namespace Sightline.Text.Tests.Explainers;

/// <summary>A fake vectoriser: v = Σ weights of the target's words present in the reply (an additive game over words).</summary>
internal sealed class WordWeightScorer(IReadOnlyDictionary<string, double> weights) : IReplyScorer
{
    public string Describe => "word weights";

    public Task<double[]> ScoreAsync(string target, IReadOnlyList<string> replies, CancellationToken cancel = default) =>
        Task.FromResult(replies.Select(r => r.Split(' ', StringSplitOptions.RemoveEmptyEntries).Sum(w => weights.GetValueOrDefault(w))).ToArray());
}

public sealed class TokenShapExplainerTests
{
    private static readonly Dictionary<string, double> Weights = new() { ["why"] = .1, ["is"] = .05, ["the"] = 0, ["sky"] = .6, ["blue?"] = .3 };

    [Fact]
    public async Task With_ratio_zero_it_makes_one_plus_n_calls_and_gives_the_leave_one_out_closed_form()
    {
        using var server = new LoopbackOpenAiServer();
        var caller = new CachedCaller(new MemoryCallCache());
        using var llm = new ChatResponder(new ChatSettings { Endpoint = server.Endpoint, Model = "echo", Temperature = 0.5 }, caller);
        var context = new TextExplainContext(llm, new WordWeightScorer(Weights), 0);
        var e = await new TokenShapExplainer(new TokenShapOptions()).ExplainAsync(new TextPrompt(0, "  Why is the   sky blue? "), context);
        Assert.Equal(6, server.ChatRequests.Count);
        Assert.Equal("Why is the sky blue?", e.Prompt);
        Assert.Equal(["Why", "is", "the", "sky", "blue?"], e.Players.Select(p => p.Text));
        // s_j = W − w_j (echo model: reply = reduced prompt; "Why" is not "why": weight 0).
        double[] w = [0, .05, 0, .6, .3];
        var s = w.Select(x => w.Sum() - x).ToArray();
        var expected = ShapleyEstimator.Normalise(ShapleyEstimator.LeaveOneOutPhi(s));
        Assert.All(expected.Zip(e.Players), x => Assert.Equal(x.First, x.Second.Score, 12));
        Assert.All(e.Coalitions, c => Assert.Equal("essential", c.Kind));
        Assert.Equal([1, 2, 4, 5], e.Coalitions[2].Indexes);
        Assert.Equal("Why is sky blue?", e.Coalitions[2].Content);
    }

    [Fact]
    public async Task An_echo_model_and_a_fake_vectoriser_reproduce_phi_exactly_with_random_coalitions()
    {
        var context = new TextExplainContext(new IdentityResponder(), new WordWeightScorer(Weights), 3);
        var e = await new TokenShapExplainer(new TokenShapOptions { SamplingRatio = 0.5 }).ExplainAsync(new TextPrompt(0, "why is the sky blue?"), context);
        Assert.Equal(5 + 13, e.Coalitions.Count); // ⌊(32 − 1 − 5)·0.5⌋ = 13 extra
        var coalitions = e.Coalitions.Select(c => Enumerable.Range(1, 5).Select(i => c.Indexes.Contains(i)).ToArray()).ToList();
        var values = coalitions.Select(c => (double?)Weights.Values.Where((_, i) => c[i]).Sum()).ToList();
        Assert.Equal(ShapleyEstimator.Phi(5, coalitions, values), e.Phi);
        Assert.Equal(e.Coalitions.Select(c => c.Value), values);
        Assert.Equal(ShapleyEstimator.Normalise(e.Phi!.ToArray()), e.Players.Select(p => p.Score));
    }

    [Fact]
    public async Task A_content_filter_refusal_removes_only_that_coalition()
    {
        using var server = new LoopbackOpenAiServer { ContentFilter = u => u == "why is the blue?" };
        using var llm = new ChatResponder(new ChatSettings { Endpoint = server.Endpoint, Model = "echo", Temperature = 0 }, new CachedCaller(new MemoryCallCache()));
        var context = new TextExplainContext(llm, new WordWeightScorer(Weights), 0);
        var e = await new TokenShapExplainer(new TokenShapOptions { SamplingRatio = 1, MaxCombinations = 1000 }).ExplainAsync(new TextPrompt(0, "why is the sky blue?"), context);
        var skipped = Assert.Single(e.Coalitions, c => c.Skip is not null);
        Assert.Equal("why is the blue?", skipped.Content);
        Assert.Null(skipped.Value);
        Assert.Null(e.Reason);
        var kept = e.Coalitions.Where(c => c.Skip is null).ToList();
        var phi = ShapleyEstimator.Phi(5, [.. kept.Select(c => Enumerable.Range(1, 5).Select(i => c.Indexes.Contains(i)).ToArray())], [.. kept.Select(c => c.Value)]);
        Assert.Equal(phi, e.Phi);
    }

    [Fact]
    public async Task A_one_word_prompt_has_no_value_and_a_reason()
    {
        var e = await new TokenShapExplainer(new TokenShapOptions()).ExplainAsync(new TextPrompt(0, "hello"), new TextExplainContext(new IdentityResponder(), new TfidfScorer(), 0));
        Assert.True(double.IsNaN(Assert.Single(e.Players).Score));
        Assert.Contains("empty prompt", e.Reason);
    }

    [Fact]
    public async Task An_empty_tfidf_vocabulary_skips_the_prompt_with_a_reason()
    {
        var e = await new TokenShapExplainer(new TokenShapOptions()).ExplainAsync(new TextPrompt(0, "a b c"), new TextExplainContext(new IdentityResponder(), new TfidfScorer(), 0));
        Assert.All(e.Players, p => Assert.True(double.IsNaN(p.Score)));
        Assert.Contains("vocabulary", e.Reason);
    }

    [Fact]
    public void A_custom_splitter_splits_punctuation_off() =>
        Assert.Equal(["why", "blue", "?"], new TokenShapExplainer(new TokenShapOptions { Splitter = @"\s+|(?=\?)" }).Players("why blue?"));

    [Fact]
    public void An_invalid_splitter_is_an_input_error() =>
        Assert.Throws<InputDataException>(() => new TokenShapExplainer(new TokenShapOptions { Splitter = "(" }));
}

public sealed class WordPieceSplitterTests
{
    [Fact]
    public void The_tokenizer_splitter_gives_word_pieces_and_rejoins_them_like_convert_tokens_to_string()
    {
        var splitter = WordPieceSplitter.Open("minilm");
        var pieces = splitter.Split("Unbelievably good");
        Assert.True(pieces.Length >= 3, string.Join('|', pieces));
        Assert.Contains(pieces, p => p.StartsWith("##", StringComparison.Ordinal));
        Assert.Equal("unbelievably good", WordPieceSplitter.Join(pieces));
        var explainer = new TokenShapExplainer(new TokenShapOptions { Tokenizer = splitter });
        Assert.Equal(pieces, explainer.Players("Unbelievably good"));
    }
}
