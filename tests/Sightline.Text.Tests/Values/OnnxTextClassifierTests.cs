using System.Text.Json;
using Sightline.Text.Calls;
using Sightline.Text.Values;

namespace Sightline.Text.Tests.Values;

public sealed class OnnxTextClassifierTests
{
    internal static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "fixtures", "text", name);

    private sealed record Expected(string[] Sentences, int[][] Ids, float[][] Probabilities, int Pad);

    private static Expected Load(string folder) =>
        JsonSerializer.Deserialize<Expected>(File.ReadAllText(Path.Combine(folder, "expected.json")), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    [Theory]
    [InlineData("classifier_bert", "bert")]
    [InlineData("classifier_roberta", "roberta")]
    public void Tokens_and_probabilities_match_the_torch_export(string name, string kind)
    {
        var folder = Fixture(name);
        var expected = Load(folder);
        using var classifier = new OnnxTextClassifier(Path.Combine(folder, "model.onnx"), new CachedCaller(new MemoryCallCache()));
        Assert.Equal(kind, classifier.TokenizerKind);
        Assert.Equal(["negative", "neutral", "positive"], classifier.Labels);
        for (int i = 0; i < expected.Sentences.Length; i++) Assert.Equal(expected.Ids[i], classifier.Encode(expected.Sentences[i]));
        // Batched with padding: the attention mask must make padding irrelevant.
        var p = classifier.Probabilities(expected.Sentences);
        for (int i = 0; i < expected.Sentences.Length; i++)
            for (int k = 0; k < 3; k++) Assert.Equal(expected.Probabilities[i][k], p[i][k], 5);
    }

    [Fact]
    public async Task The_scorer_gives_the_probability_of_the_named_class_and_repeats_hit_the_cache()
    {
        var caller = new CachedCaller(new MemoryCallCache());
        using var classifier = new OnnxTextClassifier(Path.Combine(Fixture("classifier_bert"), "model.onnx"), caller);
        var scorer = new ClassifierScorer(classifier, classifier.ClassIndex("positive"));
        var v = await scorer.ScoreAsync("ignored", ["the movie was great", "the movie was terrible", "the movie was great"]);
        Assert.True(v[0] > 0.8 && v[1] < 0.2, $"{v[0]} {v[1]}");
        Assert.Equal(v[0], v[2]);
        Assert.Equal(2, caller.Calls);
    }

    [Fact]
    public void An_unknown_class_is_an_input_error_listing_the_classes()
    {
        using var classifier = new OnnxTextClassifier(Path.Combine(Fixture("classifier_bert"), "model.onnx"), new CachedCaller(new MemoryCallCache()));
        Assert.Contains("negative, neutral, positive", Assert.Throws<InputDataException>(() => classifier.ClassIndex("joy")).Message);
        Assert.Equal(2, classifier.ClassIndex("2"));
    }
}
