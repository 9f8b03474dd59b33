using System.Text.Json;
using Sightline.Text.IO;
using Sightline.Text.Tests.Loopback;

namespace Sightline.Text.Tests.Cli;

public sealed class TextExplainCommandTests
{
    private static string[] Llm(LoopbackOpenAiServer server) => ["--llm", server.Endpoint.ToString(), "--llm-model", "echo"];

    [Fact]
    public void Tokenshap_over_the_loopback_llm_writes_the_attributions_table_and_the_coalitions_sidecar()
    {
        using var server = new LoopbackOpenAiServer();
        using var dir = new TempFolder();
        var (code, stdout, err) = TextCli.Run(["text", "explain", "--prompt", "Why is the sky blue?", "--explainer", "tokenshap", .. Llm(server), "--out", dir.File("a.csv")]);
        Assert.True(code == 0, err);
        Assert.Contains("6 model calls", stdout); // 1 + n with the default sampling ratio 0
        var lines = File.ReadAllLines(dir.File("a.csv"));
        Assert.Equal("prompt_index,player_index,player,value,reason", lines[0]);
        Assert.Equal(["0,1,Why", "0,2,is", "0,3,the", "0,4,sky", "0,5,blue?"], lines[1..].Select(l => string.Join(',', l.Split(',')[..3])));
        var values = lines[1..].Select(l => double.Parse(l.Split(',')[3], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(1.0, values.Sum(), 12);
        var side = JsonDocument.Parse(File.ReadAllLines(dir.File("a.coalitions.jsonl")).Single()).RootElement;
        Assert.Equal("Why is the sky blue?", side.GetProperty("response").GetString());
        Assert.Equal(5, side.GetProperty("coalitions").GetArrayLength());
        Assert.Equal("is the sky blue?", side.GetProperty("coalitions")[0].GetProperty("content").GetString());
        // TokenSHAP's request: one user message at temperature 0.5.
        Assert.All(server.ChatRequests, r => Assert.DoesNotContain("helpful assistant", r));
    }

    [Fact]
    public void A_rerun_with_the_cache_costs_no_calls_and_gives_the_same_file()
    {
        using var server = new LoopbackOpenAiServer();
        using var dir = new TempFolder();
        File.WriteAllLines(dir.File("p.txt"), ["the cat sat on the mat", "dogs bark at night"]);
        string[] args = ["text", "explain", "--prompts", dir.File("p.txt"), "--explainer", "tokenshap", "--sampling-ratio", "0.5", .. Llm(server), "--cache", dir.File("cache"), "--out", dir.File("a.csv")];
        Assert.Equal(0, TextCli.Run(args).Code);
        int calls = server.ChatRequests.Count;
        var first = File.ReadAllText(dir.File("a.csv"));
        var (code, stdout, _) = TextCli.Run([.. args, "--force"]);
        Assert.Equal(0, code);
        Assert.Contains(" 0 model calls", stdout);
        Assert.Equal(calls, server.ChatRequests.Count);
        Assert.Equal(first, File.ReadAllText(dir.File("a.csv")));
    }

    [Fact]
    public void The_same_command_on_a_finished_output_reports_it_complete_without_any_model_call()
    {
        using var server = new LoopbackOpenAiServer();
        using var dir = new TempFolder();
        string[] args = ["text", "explain", "--prompt", "the cat sat on the mat", "--explainer", "tokenshap", .. Llm(server), "--out", dir.File("a.csv")];
        Assert.Equal(0, TextCli.Run(args).Code);
        int calls = server.ChatRequests.Count;
        var (code, stdout, err) = TextCli.Run(args);
        Assert.True(code == 0, err);
        Assert.StartsWith("Already complete: ", stdout);
        Assert.Equal(calls, server.ChatRequests.Count);
    }

    [Fact]
    public void An_output_holding_another_run_is_refused_with_one_line_unless_forced()
    {
        using var dir = new TempFolder();
        string[] args = ["text", "explain", "--prompt", "hello big world", "--explainer", "tokenshap", "--llm", "none", "--out", dir.File("a.csv")];
        Assert.Equal(0, TextCli.Run(args).Code);
        var before = File.ReadAllText(dir.File("a.csv"));
        var (code, _, err) = TextCli.Run(["text", "explain", "--prompt", "hello small world", "--explainer", "tokenshap", "--llm", "none", "--out", dir.File("a.csv")]);
        Assert.Equal(2, code);
        Assert.Contains("a run with other inputs or settings; give --force", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Equal(before, File.ReadAllText(dir.File("a.csv")));
        Assert.Equal(0, TextCli.Run(["text", "explain", "--prompt", "hello small world", "--explainer", "tokenshap", "--llm", "none", "--out", dir.File("a.csv"), "--force"]).Code);
        Assert.Contains("small", File.ReadAllText(dir.File("a.csv")));
    }

    [Fact]
    public void A_changed_prompts_file_is_another_run_even_under_the_same_name()
    {
        using var dir = new TempFolder();
        File.WriteAllLines(dir.File("p.txt"), ["one two three"]);
        string[] args = ["text", "explain", "--prompts", dir.File("p.txt"), "--explainer", "tokenshap", "--llm", "none", "--out", dir.File("a.csv")];
        Assert.Equal(0, TextCli.Run(args).Code);
        File.WriteAllLines(dir.File("p.txt"), ["four five six"]);
        var (code, _, err) = TextCli.Run(args);
        Assert.Equal(2, code);
        Assert.Contains("give --force", err);
    }

    [Fact]
    public void A_file_no_text_command_wrote_is_not_replaced()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("mine.csv"), "precious\n");
        var (code, _, err) = TextCli.Run("text", "explain", "--prompt", "hello big world", "--explainer", "tokenshap", "--llm", "none", "--out", dir.File("mine.csv"));
        Assert.Equal(2, code);
        Assert.Contains("was not written by 'text explain'", err);
        Assert.Equal("precious\n", File.ReadAllText(dir.File("mine.csv")));
    }

    [Fact]
    public void An_unreachable_embeddings_url_is_one_line_with_exit_two()
    {
        using var dir = new TempFolder();
        var (code, _, err) = TextCli.Run("text", "explain", "--prompt", "hello big world", "--explainer", "tokenshap", "--llm", "none",
            "--vectorizer", "openai", "--embedding-url", "http://127.0.0.1:9/v1", "--out", dir.File("a.csv"));
        Assert.Equal(2, code);
        Assert.Contains("--vectorizer openai: cannot reach http://127.0.0.1:9/v1", err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Fact]
    public void A_run_stopped_by_a_failing_server_resumes_from_the_cache_with_only_the_missing_calls()
    {
        using var server = new LoopbackOpenAiServer();
        using var dir = new TempFolder();
        File.WriteAllLines(dir.File("p.txt"), ["one two three", "four five six seven", "eight nine"]);
        string[] args = ["text", "explain", "--prompts", dir.File("p.txt"), "--explainer", "tokenshap", .. Llm(server), "--concurrency", "1", "--max-retries", "0", "--cache", dir.File("cache"), "--out", dir.File("a.csv")];
        server.FailAfter(6, 503);
        var (code, _, err) = TextCli.Run(args);
        Assert.Equal(2, code);
        Assert.Contains("HTTP 503", err);
        Assert.Single(err.Trim().Split('\n'));
        Assert.False(File.Exists(dir.File("a.csv")));
        server.FailAfter(int.MaxValue, 503);
        int before = server.ChatRequests.Count;
        var (code2, stdout2, err2) = TextCli.Run(args);
        Assert.True(code2 == 0, err2);
        // 4 + 5 + 3 calls in all; 6 were answered before the failure, so 6 remain.
        Assert.Equal(6, server.ChatRequests.Count - before - 0);
        Assert.Contains("6 model calls, 6 cache hits", stdout2);
    }

    [Fact]
    public void A_one_word_prompt_exits_one_with_an_empty_value_and_a_reason()
    {
        using var dir = new TempFolder();
        var (code, _, err) = TextCli.Run("text", "explain", "--prompt", "hello", "--explainer", "tokenshap", "--llm", "none", "--out", dir.File("a.csv"));
        Assert.Equal(1, code);
        Assert.Contains("1 of 1 prompts have no explanation", err);
        Assert.Equal("0,1,hello,,one player: its only coalition is the empty prompt", File.ReadAllLines(dir.File("a.csv"))[1]);
    }

    [Fact]
    public void Semex_with_the_embedding_model_as_the_explained_model_runs_offline()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("p.csv"), "prompt,aspect\n\"The food was delicious, the service slow.\",positive\n");
        var (code, stdout, err) = TextCli.Run("text", "explain", "--prompts", dir.File("p.csv"), "--explainer", "semex-A-r", "--llm", "none", "--out", dir.File("a.csv"));
        Assert.True(code == 0, err);
        var entry = AttributionsFile.Read(dir.File("a.csv")).Single();
        Assert.Equal(["The", "food", "was", "delicious", "the", "service", "slow"], entry.Words);
        Assert.Equal([-1.0, -1.0, -1.0], new[] { entry.Scores[0], entry.Scores[2], entry.Scores[4] });
        Assert.Equal(1.0, entry.Scores.Where(s => s >= 0).Sum(), 9);
        Assert.Contains("semex-A-r", stdout);
    }

    [Fact]
    public void Semex_wordnet_antonyms_are_flagged_as_a_deviation()
    {
        using var dir = new TempFolder();
        var (code, stdout, err) = TextCli.Run("text", "explain", "--prompt", "a good movie", "--explainer", "semex-B-a", "--antonyms", "wordnet", "--llm", "none", "--vectorizer", "tfidf", "--out", dir.File("a.csv"));
        Assert.True(code == 0, err);
        Assert.Contains("deviation", stdout);
        var side = JsonDocument.Parse(File.ReadAllLines(dir.File("a.coalitions.jsonl")).Single()).RootElement;
        Assert.Equal("bad", side.GetProperty("replacements")[0].GetString());
    }

    [Fact]
    public void Semex_neutral_over_the_loopback_llm_asks_once_for_the_replacements_and_counts_the_calls()
    {
        using var server = new LoopbackOpenAiServer();
        var systems = new System.Collections.Concurrent.ConcurrentBag<string>();
        server.Model = (m, _) =>
        {
            systems.Add(m[0].Role == "system" ? m[0].Content : "");
            return m[^1].Content.StartsWith("You neutralise", StringComparison.Ordinal) ? "```json\n[\"thing\", \"item\", \"do\"]\n```" : m[^1].Content;
        };
        using var dir = new TempFolder();
        var (code, stdout, err) = TextCli.Run(["text", "explain", "--prompt", "Describe the ideal leader.", "--explainer", "semex-B-n", .. Llm(server), "--vectorizer", "tfidf", "--out", dir.File("a.csv")]);
        Assert.True(code == 0, err);
        // n = 3 concepts (Describe, ideal, leader): 1 baseline + 1 replacement list + 3 essentials + 3 random (the whole pool).
        Assert.Contains("8 model calls", stdout);
        Assert.All(systems, s => Assert.Equal("You are a helpful assistant", s));
        var side = JsonDocument.Parse(File.ReadAllLines(dir.File("a.coalitions.jsonl")).Single()).RootElement;
        Assert.Equal(["thing", "item", "do"], side.GetProperty("replacements").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains(side.GetProperty("coalitions").EnumerateArray(), c => c.GetProperty("content").GetString() == "thing the ideal leader");
    }

    [Fact]
    public void The_openai_vectorizer_embeds_through_the_servers_embeddings_endpoint()
    {
        using var server = new LoopbackOpenAiServer();
        using var dir = new TempFolder();
        var (code, _, err) = TextCli.Run(["text", "explain", "--prompt", "red green blue", "--explainer", "tokenshap", .. Llm(server), "--vectorizer", "openai", "--out", dir.File("a.csv")]);
        Assert.True(code == 0, err);
        Assert.Equal("base64", server.LastEncodingFormat);
        Assert.Equal(4, server.EmbeddedTexts); // the target and the three distinct replies
    }

    [Fact]
    public void A_classifier_probability_can_be_the_value()
    {
        using var dir = new TempFolder();
        var model = Path.Combine(Values.OnnxTextClassifierTests.Fixture("classifier_bert"), "model.onnx");
        var (code, _, err) = TextCli.Run("text", "explain", "--prompt", "the movie was great", "--explainer", "tokenshap", "--llm", "none",
            "--classifier", model, "--classifier-class", "positive", "--out", dir.File("a.csv"));
        Assert.True(code == 0, err);
        var entry = AttributionsFile.Read(dir.File("a.csv")).Single();
        Assert.Equal("great", entry.Words[Array.IndexOf(entry.Scores, entry.Scores.Max())]);
    }

    [Theory]
    [InlineData("--llm-model NAME is required", "--explainer", "tokenshap", "--llm", "http://127.0.0.1:9/v1")]
    [InlineData("give exactly one of --prompt", "--explainer", "tokenshap", "--llm", "none")]
    [InlineData("--replacement-llm", "--explainer", "semex-B-n", "--llm", "none")]
    [InlineData("SIGHTLINE_TEST_UNSET_KEY", "--explainer", "tokenshap", "--llm", "http://127.0.0.1:9/v1", "--llm-model", "m", "--llm-key-env", "SIGHTLINE_TEST_UNSET_KEY")]
    [InlineData("--classifier-class", "--explainer", "tokenshap", "--llm", "none", "--classifier", "x.onnx")]
    [InlineData("--sampling-ratio", "--explainer", "tokenshap", "--llm", "none", "--sampling-ratio", "2", "--max-combinations", "none")]
    public void Usage_errors_are_one_line_with_exit_two(string expected, params string[] args)
    {
        using var dir = new TempFolder();
        string[] prompt = args.Contains("give exactly one of --prompt") ? [] : expected.StartsWith("give exactly", StringComparison.Ordinal) ? [] : ["--prompt", "a b c"];
        var (code, _, err) = TextCli.Run(["text", "explain", .. prompt, .. args, "--out", dir.File("a.csv")]);
        Assert.Equal(2, code);
        Assert.Contains(expected, err);
        Assert.Single(err.Trim().Split('\n'));
    }

    [Theory]
    [InlineData("explain")]
    [InlineData("faithfulness")]
    [InlineData("accuracy")]
    [InlineData("steer")]
    [InlineData("demo")]
    public void Help_matches_the_snapshot(string sub)
    {
        var (code, stdout, _) = TextCli.Run("text", sub, "--help");
        Assert.Equal(0, code);
        TextCli.MatchSnapshot($"text-{sub}-help.txt", stdout);
    }
}
