using Sightline.Text.Calls;
using Sightline.Text.Explainers;
using Sightline.Text.Lexicon;
using Sightline.Text.Llm;
using Sightline.Text.Tests.Loopback;
using Sightline.Text.Values;

namespace Sightline.Text.Tests.Explainers;

public sealed class SemexExplainerTests
{
    private static readonly ContentWords Tagger = new(WordNet.Open());

    [Fact]
    public async Task Non_concept_words_score_minus_one_and_players_are_in_position_order()
    {
        var weights = new Dictionary<string, double> { ["movie"] = .5, ["great"] = .3, ["acting"] = .2 };
        var explainer = new SemexExplainer(new SemexOptions { Target = SemexTarget.Base, Strategy = ReplacementStrategy.Remove }, Tagger, new RemovalReplacements());
        var e = await explainer.ExplainAsync(new TextPrompt(0, "The movie had great acting."), new TextExplainContext(new IdentityResponder(), new WordWeightScorer(weights), 0));
        Assert.Equal(["The", "movie", "had", "great", "acting"], e.Players.Select(p => p.Text));
        Assert.Equal([0, 1, 2, 3, 4], e.Players.Select(p => p.Position));
        Assert.Equal(-1.0, e.Players[0].Score);
        Assert.Equal(-1.0, e.Players[2].Score);
        Assert.Equal(1.0, e.Players.Where(p => p.IsConcept).Sum(p => p.Score), 12);
        Assert.Equal("movie", e.Players.Where(p => p.IsConcept).MaxBy(p => p.Score)!.Text);
        // n = 3: essentials + the whole fixed pool of 3 (m = 4 ≥ P).
        Assert.Equal(6, e.Coalitions.Count);
    }

    [Fact]
    public void A_repeated_concept_word_is_replaced_only_at_its_first_occurrence()
    {
        string[] words = ["cats", "chase", "cats"];
        var text = SemexExplainer.TextOf(words, [0, 1, -1], ["dogs", "ignore"], [false, true]);
        Assert.Equal("dogs chase cats", text);
        Assert.Equal("chase cats", SemexExplainer.TextOf(words, [0, 1, -1], ["", ""], [false, true]));
    }

    [Fact]
    public async Task A_repeated_concept_is_one_player_at_its_first_position_and_its_later_occurrence_scores_minus_one_and_stays()
    {
        // Spec §4.2 / §12.6: "cats" is one concept at position 0; the second "cats" is never replaced and scores −1.
        var weights = new Dictionary<string, double> { ["cats"] = .4, ["chase"] = .1 };
        var explainer = new SemexExplainer(new SemexOptions { Target = SemexTarget.Base, Strategy = ReplacementStrategy.Remove }, Tagger, new RemovalReplacements());
        var e = await explainer.ExplainAsync(new TextPrompt(0, "cats chase cats"), new TextExplainContext(new IdentityResponder(), new WordWeightScorer(weights), 0));
        Assert.Equal(["cats", "chase", "cats"], e.Players.Select(p => p.Text));
        Assert.Equal([true, true, false], e.Players.Select(p => p.IsConcept));
        Assert.Equal(-1.0, e.Players[2].Score);
        // n = 2, pool 0: the two essentials only; removing concept 0 keeps the later "cats".
        Assert.Equal(["chase cats", "cats cats"], e.Coalitions.Select(c => c.Content));
        // v(without cats₀) = .4 + .1 = .5 ("chase cats"), v(without chase) = .8: the closed form gives ψ(cats) = 1, ψ(chase) = 0.
        Assert.Equal(1.0, e.Players[0].Score, 12);
        Assert.Equal(0.0, e.Players[1].Score, 12);
    }

    [Fact]
    public async Task Neutral_replacements_come_from_one_llm_call_with_the_spec_prompt_and_a_robustly_parsed_list()
    {
        using var server = new LoopbackOpenAiServer();
        server.Model = (m, _) => m[^1].Content.StartsWith("You neutralise", StringComparison.Ordinal)
            ? "Sure! Here you go: ['thing', \"object\"] hope it helps"
            : m[^1].Content;
        using var llm = new ChatResponder(new ChatSettings { Endpoint = server.Endpoint, Model = "m", SystemMessage = PromptTemplates.SemexSystem, Temperature = 1 }, new CachedCaller(new MemoryCallCache()));
        var explainer = new SemexExplainer(new SemexOptions { Target = SemexTarget.Aspect, Strategy = ReplacementStrategy.Neutral, Aspect = "positive" }, Tagger,
            new LlmReplacements(llm, ReplacementStrategy.Neutral));
        var e = await explainer.ExplainAsync(new TextPrompt(0, "lovely cake"), new TextExplainContext(llm, new TfidfScorer(), 0));
        Assert.Equal(["thing", "object"], e.Replacements);
        Assert.Equal("positive", e.Target);
        Assert.Contains(e.Coalitions, c => c.Content == "thing cake");
        var request = server.ChatRequests.First(r => r.StartsWith("You neutralise", StringComparison.Ordinal));
        Assert.Contains("Describe the ideal qualities of a leader in a team.", request);
        Assert.Contains("[\"Mention\", \"aspects\", \"individual\", \"group\"]", request);
        Assert.Contains("[\"lovely\",\"cake\"]", request);
    }

    [Fact]
    public async Task A_replacement_list_of_the_wrong_length_is_retried_then_the_prompt_is_skipped()
    {
        using var server = new LoopbackOpenAiServer();
        server.Model = (m, _) => "[\"only one\"]";
        using var llm = new ChatResponder(new ChatSettings { Endpoint = server.Endpoint, Model = "m", Temperature = 1 }, new CachedCaller(new MemoryCallCache()));
        var explainer = new SemexExplainer(new SemexOptions { Target = SemexTarget.Base, Strategy = ReplacementStrategy.Antonym }, Tagger, new LlmReplacements(llm, ReplacementStrategy.Antonym));
        var e = await explainer.ExplainAsync(new TextPrompt(0, "lovely cake"), new TextExplainContext(new IdentityResponder(), new TfidfScorer(), 0));
        Assert.Contains("after 3 attempts", e.Reason);
        Assert.Equal(3, server.ChatRequests.Count);
        Assert.All(e.Players, p => Assert.True(double.IsNaN(p.Score)));
    }

    [Theory]
    [InlineData("[\"a\", \"b\"]", new[] { "a", "b" })]
    [InlineData("Answer: ['a', 'b c']", new[] { "a", "b c" })]
    [InlineData("```json\n[\"x\",\"y\"]\n``` and [not this]", new[] { "x", "y" })]
    [InlineData("[Mention, aspects]", new[] { "Mention", "aspects" })]
    public void Replacement_lists_are_parsed_from_messy_replies(string reply, string[] expected) => Assert.Equal(expected, LlmReplacements.Parse(reply));

    [Fact]
    public void A_reply_without_a_list_parses_to_null() => Assert.Null(LlmReplacements.Parse("no idea"));

    [Fact]
    public void WordNet_antonyms_replace_offline_and_missing_ones_remove_the_word()
    {
        var a = new WordNetAntonyms(WordNet.Open());
        Assert.Equal("bad", a.Antonym("good"));
        Assert.Equal("", a.Antonym("table"));
    }

    [Theory]
    [InlineData("semex-B-r", SemexTarget.Base, ReplacementStrategy.Remove)]
    [InlineData("semex-A-n", SemexTarget.Aspect, ReplacementStrategy.Neutral)]
    [InlineData("semex-R-a", SemexTarget.Reference, ReplacementStrategy.Antonym)]
    public void Method_names_parse_as_the_semex_readme_spells_them(string name, SemexTarget t, ReplacementStrategy r)
    {
        var o = SemexOptions.TryParse(name)!;
        Assert.Equal((t, r), (o.Target, o.Strategy));
        Assert.Equal(name, o.Name);
    }

    [Fact]
    public async Task The_legacy_switch_makes_the_spec_table_count_and_never_has_concept_zero_in_random_coalitions()
    {
        var explainer = new SemexExplainer(new SemexOptions { Target = SemexTarget.Base, Strategy = ReplacementStrategy.Remove, LegacyOneBasedCoalitions = true }, Tagger, new RemovalReplacements());
        var e = await explainer.ExplainAsync(new TextPrompt(0, "lovely cake"), new TextExplainContext(new IdentityResponder(), new TfidfScorer(), 0));
        Assert.Equal(3, e.Coalitions.Count); // n = 2: 2 essentials + the effective empty coalition
        Assert.Empty(e.Coalitions.Single(c => c.Kind == "random").Indexes);
    }
}
