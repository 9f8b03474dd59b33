using System.Globalization;
using System.Text.RegularExpressions;

namespace Sightline.Text.Tests.Cli;

/// <summary>
/// <c>sightline report DIR</c> picks up a text run (attributions.csv with its sidecar and run record, and a
/// faithfulness curve of it) and shows it in its <c>text</c> section; <c>text demo</c> writes that report.
/// </summary>
public sealed class TextReportTests
{
    private static readonly Regex Word = new("<span class=\"tw\" style=\"background:(#[0-9A-F]{6})[^\"]*\" title=\"([^\"]*)\" data-value=\"([^\"]+)\">([^<]*)</span>");

    [Fact]
    public void The_report_of_a_text_explain_and_faithfulness_folder_shows_every_word_with_its_value_the_curve_and_the_settings()
    {
        using var dir = new TempFolder();
        Directory.CreateDirectory(dir.File("run"));
        File.WriteAllLines(dir.File("run/p.txt"), ["the cat sat on the mat", "dogs bark at night"]);
        var (code, _, err) = TextCli.Run("text", "explain", "--prompts", dir.File("run/p.txt"), "--explainer", "tokenshap", "--sampling-ratio", "0.5", "--llm", "none",
            "--vectorizer", "minilm", "--out", dir.File("run/a.csv"));
        Assert.True(code == 0, err);
        (code, _, err) = TextCli.Run("text", "faithfulness", "--attributions", dir.File("run/a.csv"), "--llm", "none", "--out", dir.File("run/curve.csv"));
        Assert.True(code == 0, err);
        (code, var stdout, err) = TextCli.Run("report", dir.File("run"), "--out", dir.File("report.html"));
        Assert.True(code == 0, err);
        Assert.Equal("", err);
        Assert.Contains("1 text run, 1 faithfulness curve", stdout);

        var html = File.ReadAllText(dir.File("report.html"));
        Assert.Contains("<section id=\"text\">", html);
        // Every (prompt, player) row of the CSV is one coloured word whose hover title and data-value carry its value.
        var rows = File.ReadAllLines(dir.File("run/a.csv"))[1..].Select(l => l.Split(',')).ToList();
        var words = Word.Matches(html).ToList();
        Assert.Equal(rows.Count, words.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i][2], words[i].Groups[4].Value);
            double value = double.Parse(rows[i][3], CultureInfo.InvariantCulture);
            Assert.Equal(value, double.Parse(words[i].Groups[3].Value, CultureInfo.InvariantCulture));
            Assert.Contains("ψ = ", words[i].Groups[2].Value);
        }
        // Diverging colours centred at the equal share 1/n: the word farthest from it takes the full end colour (red above,
        // blue below), the smallest ψ (0, below 1/n) is blue-ish, the largest red-ish.
        var first = words.Take(6).ToList();
        var values = first.Select(w => double.Parse(w.Groups[3].Value, CultureInfo.InvariantCulture)).ToList();
        var far = values.Select((v, i) => (d: Math.Abs(v - 1.0 / 6), i)).MaxBy(x => x.d).i;
        Assert.Equal(values[far] > 1.0 / 6 ? "#B2182B" : "#2166AC", first[far].Groups[1].Value);
        static (int R, int B) Rb(string c) => (Convert.ToInt32(c[1..3], 16), Convert.ToInt32(c[5..7], 16));
        var low = Rb(first[values.IndexOf(values.Min())].Groups[1].Value);
        var high = Rb(first[values.IndexOf(values.Max())].Groups[1].Value);
        Assert.True(low.B > low.R, $"The smallest ψ should be blue-ish, is {low}.");
        Assert.True(high.R > high.B, $"The largest ψ should be red-ish, is {high}.");
        // The curve, drawn under the run it was computed from, and the run's settings.
        Assert.Contains("aria-label=\"Faithfulness: curve.csv\"", html);
        Assert.True(html.IndexOf("<code>a.csv</code>", StringComparison.Ordinal) < html.IndexOf("Faithfulness: curve.csv", StringComparison.Ordinal));
        Assert.Contains("<tr><td><code>--explainer</code></td><td>tokenshap</td></tr>", html);
        Assert.Contains("<tr><td><code>--sampling-ratio</code></td><td>0.5</td></tr>", html);
        Assert.Contains("<tr><td><code>--vectorizer</code></td><td>minilm</td></tr>", html);
        // Self-contained: no scripts and nothing loaded from elsewhere.
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotMatch("(src|href)=\"(https?:|//|file:)", html);
    }

    [Fact]
    public void The_demo_writes_the_report_with_its_text_section_and_curve()
    {
        using var dir = new TempFolder();
        var (code, _, err) = TextCli.Run("text", "demo", "--out", dir.File("demo"));
        Assert.True(code == 0, err);
        var html = File.ReadAllText(dir.File("demo/report.html"));
        Assert.Contains("<section id=\"text\">", html);
        Assert.Contains("<code>attributions_positive.csv</code>", html);
        Assert.Contains("<code>attributions_negative.csv</code>", html);
        Assert.Contains("target: the aspect \"positive\"", html);
        Assert.Contains("aria-label=\"Faithfulness: faithfulness.csv\"", html);
        Assert.Contains("<tr><td><code>--explainer</code></td><td>semex-A-r</td></tr>", html);
        // Non-concept words (score −1) are grey, concept words coloured: both kinds are there.
        Assert.Contains("class=\"tw nc\"", html);
        Assert.True(Word.Matches(html).Count >= 20);
        // The report the demo writes is the one 'sightline report' makes of the folder.
        (code, _, err) = TextCli.Run("report", dir.File("demo"), "--out", dir.File("again.html"), "--title", "Sightline text demo: SemeX aspect attributions on all-MiniLM-L6-v2");
        Assert.True(code == 0, err);
        Assert.Equal(Sections(html), Sections(File.ReadAllText(dir.File("again.html"))));
    }

    private static string Sections(string html) => html[html.IndexOf("<main>", StringComparison.Ordinal)..];
}
