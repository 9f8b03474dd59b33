using System.Text.Json;
using Sightline.Text.Tests.Loopback;

namespace Sightline.Text.Tests.Cli;

public sealed class TextEvaluationCommandTests
{
    private static string Classifier => Path.Combine(Values.OnnxTextClassifierTests.Fixture("classifier_bert"), "model.onnx");

    private static string Explain(TempFolder dir, params string[] extra)
    {
        File.WriteAllText(dir.File("p.csv"), "prompt,aspect,label\nthe movie was great,positive,great\nthe film was wonderful and very good,positive,wonderful\n");
        var (code, _, err) = TextCli.Run(["text", "explain", "--prompts", dir.File("p.csv"), "--explainer", "tokenshap", "--llm", "none", "--classifier", Classifier, "--classifier-class", "positive", .. extra, "--out", dir.File("a.csv")]);
        Assert.True(code == 0, err);
        return dir.File("a.csv");
    }

    [Fact]
    public void Faithfulness_writes_the_eleven_point_curve_per_prompt()
    {
        using var dir = new TempFolder();
        var a = Explain(dir);
        var (code, stdout, err) = TextCli.Run("text", "faithfulness", "--attributions", a, "--llm", "none", "--out", dir.File("curve.csv"));
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("curve.csv"));
        Assert.Equal("prompt_index,explainer,sim_0.0,sim_0.1,sim_0.2,sim_0.3,sim_0.4,sim_0.5,sim_0.6,sim_0.7,sim_0.8,sim_0.9,sim_1.0,reason", lines[0]);
        Assert.Equal(3, lines.Length);
        // Identity model: k = 0 masks everything ("..." has no tokens: similarity 0), k = 1 keeps the prompt (similarity 1).
        var first = lines[1].Split(',');
        Assert.Equal("0", first[2]);
        Assert.Equal(1.0, double.Parse(first[12], System.Globalization.CultureInfo.InvariantCulture), 12);
        Assert.Contains("mean curve", stdout);
    }

    [Fact]
    public void Accuracy_reports_the_share_of_prompts_whose_label_ranks_first()
    {
        using var dir = new TempFolder();
        var a = Explain(dir);
        var (code, stdout, err) = TextCli.Run("text", "accuracy", "--attributions", a, "--labels", dir.File("p.csv"), "--out", dir.File("acc.json"));
        Assert.True(code == 0, err);
        var report = JsonDocument.Parse(File.ReadAllText(dir.File("acc.json"))).RootElement;
        Assert.Equal(2, report.GetProperty("rows").GetInt32());
        var first = report.GetProperty("prompts")[0];
        Assert.Equal(1, first.GetProperty("label_rank").GetInt32());
        Assert.Equal("great", first.GetProperty("top3")[0].GetString());
        Assert.Contains("Accuracy", stdout);
    }

    [Fact]
    public void Steering_with_a_classifier_lowers_the_aspect_probability()
    {
        using var dir = new TempFolder();
        var a = Explain(dir);
        var (code, stdout, err) = TextCli.Run("text", "steer", "--attributions", a, "--classifier", Classifier, "--classifier-class", "positive", "--prompts", dir.File("p.csv"), "--out", dir.File("steer.csv"));
        Assert.True(code == 0, err);
        var lines = File.ReadAllLines(dir.File("steer.csv"));
        Assert.Equal("prompt_index,position,word,replacement,original,steered,p0,p_highest,shift,p_label,reason", lines[0]);
        var row = lines[1].Split(',');
        Assert.Equal("great", row[2]);
        Assert.Equal("the movie was", row[5]);
        Assert.True(double.Parse(row[8], System.Globalization.CultureInfo.InvariantCulture) > 0.2, lines[1]);
        Assert.Contains("mean sentiment shift", stdout);
    }

    [Fact]
    public void Steering_with_a_judge_reports_the_attack_success_rate()
    {
        using var server = new LoopbackOpenAiServer();
        server.Model = (m, _) => m[^1].Content.StartsWith("Task: Evaluate", StringComparison.Ordinal)
            ? (m[^1].Content.Contains("Agent: the film was and very good") ? "[RESULT]: unsafe, score 4\nreason" : "[RESULT]: safe, score 1")
            : m[^1].Content;
        using var dir = new TempFolder();
        var a = Explain(dir);
        var (code, stdout, err) = TextCli.Run("text", "steer", "--attributions", a, "--llm", server.Endpoint.ToString(), "--llm-model", "m",
            "--judge", server.Endpoint.ToString(), "--judge-model", "judge", "--out", dir.File("steer.csv"));
        Assert.True(code == 0, err);
        Assert.Contains("attack success rate 0.500 (1 unsafe of 2 judged)", stdout);
        Assert.Contains("prompt_index,position,word,replacement,original,steered,answer,verdict,score,unsafe,reason", File.ReadAllLines(dir.File("steer.csv"))[0]);
    }

    [Fact]
    public void The_demo_runs_offline_and_writes_its_report()
    {
        using var dir = new TempFolder();
        var (code, stdout, err) = TextCli.Run("text", "demo", "--out", dir.File("demo"));
        Assert.True(code == 0, err);
        foreach (var f in new[] { "attributions_positive.csv", "attributions_negative.csv", "faithfulness.csv", "report.html" })
            Assert.True(File.Exists(Path.Combine(dir.File("demo"), f)), f);
        Assert.Contains("<svg", File.ReadAllText(Path.Combine(dir.File("demo"), "report.html")));
        Assert.Contains("Faithfulness", stdout);
    }
}
