using Sightline.Text.Lexicon;

namespace Sightline.Text.Tests.Lexicon;

public sealed class ContentWordsTests
{
    private static readonly ContentWords Tagger = new(WordNet.Open());

    private static string[] ConceptsOf(string prompt)
    {
        var words = Sightline.Text.Explainers.TextClean.Words(prompt);
        return [.. Tagger.Concepts(prompt).Select(j => words[j])];
    }

    [Fact]
    public void The_stop_list_is_spacys_326_entries_with_make_give_show_take_see() 
    {
        Assert.Equal(326, StopWords.All.Count);
        Assert.All(new[] { "make", "give", "show", "take", "see", "n't", "'s" }, w => Assert.Contains(w, StopWords.All));
        Assert.True(StopWords.Contains("The"));
    }

    [Fact]
    public void Nouns_verbs_and_adjectives_are_concepts_and_stop_words_adverbs_and_numbers_are_not() =>
        Assert.Equal(["Describe", "ideal", "qualities", "leader", "team"], ConceptsOf("Describe the ideal qualities of a leader in a team quickly 42"));

    [Fact]
    public void Contraction_pieces_never_become_concepts_as_in_the_reference()
    {
        // spaCy tokens "do"/"n't" and "it"/"'s" never equal the regex words "don", "t", "s".
        Assert.Equal(["like", "movie", "great"], ConceptsOf("I don't like this movie, it's great"));
    }

    [Fact]
    public void A_repeated_word_is_one_concept_at_its_first_position()
    {
        var prompt = "cats chase mice and cats sleep";
        Assert.Equal([0, 1, 2, 5], Tagger.Concepts(prompt));
    }

    [Fact]
    public void Unknown_capitalised_words_are_proper_nouns_and_unknown_lower_case_words_are_not() =>
        Assert.Equal(["Zorblax", "visited"], ConceptsOf("Zorblax visited qwzzy"));
}
