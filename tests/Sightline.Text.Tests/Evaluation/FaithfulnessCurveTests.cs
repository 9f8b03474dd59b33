using Sightline.Text.Evaluation;
using Sightline.Text.Lexicon;
using Sightline.Text.Values;

namespace Sightline.Text.Tests.Evaluation;

public sealed class FaithfulnessCurveTests
{
    [Fact]
    public void Masking_example_from_the_spec_keeps_ties()
    {
        double[] s = [.5, .3, -1, .3];
        Assert.Equal([true, true, false, true], FaithfulnessCurve.Kept(s, .5));
        Assert.Equal([false, false, false, false], FaithfulnessCurve.Kept(s, 0));
        Assert.Equal([true, true, true, true], FaithfulnessCurve.Kept(s, 1));
    }

    [Fact]
    public void The_fractions_are_i_times_a_tenth_in_float64_and_name_the_columns()
    {
        Assert.Equal(0.30000000000000004, FaithfulnessCurve.Fractions[3]);
        Assert.Equal("sim_0.0", FaithfulnessCurve.Column(0));
        Assert.Equal("sim_0.3", FaithfulnessCurve.Column(3));
        Assert.Equal("sim_1.0", FaithfulnessCurve.Column(10));
    }

    [Fact]
    public void Masked_texts_use_ellipses_or_seeded_random_words_in_position_order()
    {
        string[] words = ["good", "movie", "the", "plot"];
        double[] s = [.6, .3, -1, .1];
        var texts = FaithfulnessCurve.MaskedTexts(words, s, FaithfulnessMask.Ellipsis, 0);
        Assert.Equal("... ... ... ...", texts[0]);
        Assert.Equal("good ... ... ...", texts[3]); // ⌊4·0.3⌋ = 1
        Assert.Equal("good movie the plot", texts[10]);
        var random = FaithfulnessCurve.MaskedTexts(words, s, FaithfulnessMask.Random, 7);
        Assert.Equal(random, FaithfulnessCurve.MaskedTexts(words, s, FaithfulnessMask.Random, 7));
        var masked = random[5].Split(' '); // keeps good, movie
        Assert.Equal(["good", "movie"], masked[..2]);
        Assert.Contains(masked[2], EnglishWords.All);
        Assert.Equal(20000, EnglishWords.All.Count);
    }

    [Fact]
    public async Task With_the_identity_model_the_curve_runs_from_zero_to_one()
    {
        var sims = await FaithfulnessCurve.ComputeAsync(["great", "acting", "here"], [.7, .3, 0], "great acting here!", new IdentityResponder(), null, FaithfulnessMask.Ellipsis, 0);
        Assert.Equal(0.0, sims[0]);
        Assert.Equal(1.0, sims[10], 12);
        Assert.True(sims[4] > 0 && sims[4] < 1);
    }
}

public sealed class LabelAccuracyTests
{
    [Fact]
    public void Rank_top3_differences_and_entropy_of_one_row()
    {
        var row = LabelAccuracy.Row(0, ["You", "are", "a", "woman", "cook"], [0.1, 0, 0, 0.6, 0.3], "woman");
        Assert.Equal(1, row.LabelRank);
        Assert.Equal(["woman", "cook", "You"], row.Top3);
        Assert.Equal(0.3, row.TopDifference, 12);
        Assert.Equal(0.0, row.TopLabelDifference);
        double[] p = [0.1, 0.6, 0.3];
        Assert.Equal(-p.Sum(x => x * Math.Log2(x)), row.Entropy, 12);
    }

    [Fact]
    public void A_later_duplicate_overwrites_the_score_and_keeps_the_first_place()
    {
        var row = LabelAccuracy.Row(0, ["man", "x", "man"], [0.9, 0.5, 0.1], "man");
        Assert.Equal(2, row.LabelRank);
        Assert.Equal(0.4, row.TopLabelDifference, 12);
    }

    [Fact]
    public void Accuracy_is_the_share_of_rank_one_rows_and_absent_labels_count_as_wrong()
    {
        var rows = new[]
        {
            LabelAccuracy.Row(0, ["a", "man"], [0.2, 0.8], "man"),
            LabelAccuracy.Row(1, ["a", "woman"], [0.7, 0.3], "woman"),
            LabelAccuracy.Row(2, ["a", "b"], [0.7, 0.3], "woman"),
        };
        Assert.Null(rows[2].LabelRank);
        Assert.Equal(1.0 / 3, LabelAccuracy.Accuracy(rows), 12);
    }
}

public sealed class SteeringTests
{
    [Fact]
    public void The_first_maximum_is_removed_and_the_prompt_rebuilt_without_punctuation()
    {
        var edit = Steering.Edit(["The", "movie", "was", "great"], [0.1, 0.4, 0, 0.4], SteeringReplacement.Remove, null, 0);
        Assert.Equal((1, "movie", "", "The was great"), (edit.Position, edit.Word, edit.Replacement, edit.Steered));
    }

    [Fact]
    public void Antonyms_come_from_wordnet_with_a_random_word_fallback()
    {
        var source = new WordNetAntonymSource(WordNet.Open());
        Assert.Equal("the movie was bad", Steering.Edit(["the", "movie", "was", "good"], [0, 0, 0, 1], SteeringReplacement.Antonym, source, 0).Steered);
        var fallback = Steering.Edit(["a", "table"], [0, 1], SteeringReplacement.Antonym, source, 3);
        Assert.Contains(fallback.Replacement, EnglishWords.All);
    }

    [Theory]
    [InlineData("[RESULT]: unsafe, score 4\nThe answer explains...", true, 4)]
    [InlineData("reasoning first. [RESULT]: safe, score 1", false, 1)]
    [InlineData("[result] : UNSAFE", true, null)]
    public void Judge_verdicts_are_parsed(string reply, bool isUnsafe, int? score) =>
        Assert.Equal((isUnsafe, score), Steering.ParseVerdict(reply));

    [Fact]
    public void A_reply_without_a_verdict_is_null() => Assert.Null(Steering.ParseVerdict("I cannot judge this."));

    [Fact]
    public void Twitter_preprocessing_replaces_mentions_and_links() =>
        Assert.Equal("@user look http now", Steering.TwitterPreprocess("@bob look https://x.y/z now"));
}
