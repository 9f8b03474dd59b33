using Sightline.Text.Lexicon;

namespace Sightline.Text.Tests.Lexicon;

/// <summary>Needs Debian's wordnet-base (.ci/run installs it).</summary>
public sealed class WordNetTests
{
    private static readonly WordNet Db = WordNet.Open();

    [Theory]
    [InlineData("dogs", WordNetPos.Noun, "dog")]
    [InlineData("children", WordNetPos.Noun, "child")]
    [InlineData("running", WordNetPos.Verb, "run")]
    [InlineData("went", WordNetPos.Verb, "go")]
    [InlineData("better", WordNetPos.Adjective, "good")]
    [InlineData("bigger", WordNetPos.Adjective, "big")]
    public void Morphy_finds_base_forms(string word, WordNetPos pos, string lemma) => Assert.Contains(lemma, Db.Lemmas(word, pos));

    [Fact]
    public void Words_have_only_the_parts_of_speech_wordnet_lists()
    {
        Assert.True(Db.Has("quickly", WordNetPos.Adverb));
        Assert.False(Db.Has("quickly", WordNetPos.Adjective));
        Assert.False(Db.Has("quickly", WordNetPos.Noun));
        Assert.False(Db.Has("xqzv", WordNetPos.Noun));
    }

    [Theory]
    [InlineData("good", WordNetPos.Adjective, "bad")]
    [InlineData("happy", WordNetPos.Adjective, "unhappy")]
    [InlineData("increase", WordNetPos.Verb, "decrease")]
    [InlineData("man", WordNetPos.Noun, "woman")]
    [InlineData("wonderful", WordNetPos.Adjective, "ordinary")] // a satellite of "extraordinary": its indirect antonym
    public void Antonyms_follow_the_data_files_pointers(string word, WordNetPos pos, string antonym) => Assert.Contains(antonym, Db.Antonyms(word, pos));

    [Fact]
    public void A_missing_database_is_an_input_error_naming_the_package() =>
        Assert.Contains("wordnet-base", Assert.Throws<InputDataException>(() => WordNet.Open("/nonexistent/wordnet")).Message);
}
