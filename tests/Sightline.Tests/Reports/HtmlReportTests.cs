using System.Text.RegularExpressions;
using Sightline.Data;
using Sightline.Reports;
using Sightline.Results;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Reports;

public sealed class HtmlReportTests
{
    private static (string Html, ReportInputs Inputs) Build(string dir, int examples = 8)
    {
        var inputs = ResultsScanner.Scan(dir);
        return (HtmlReport.Build(inputs, new ReportOptions { Examples = examples, Resamples = 200 }), inputs);
    }

    private static int Count(string html, string text) => Regex.Matches(html, Regex.Escape(text)).Count;

    [Fact]
    public void Report_of_a_demo_like_folder_has_every_section_with_formatted_numbers()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path);
        var (html, inputs) = Build(dir.Path);
        Assert.Equal(4, inputs.ScoreGroups.Count);
        Assert.Equal(2, inputs.Summaries.Count);
        foreach (var id in new[] { "verdict", "headline", "per-class", "distributions", "comparison", "examples" })
            Assert.Contains($"<section id=\"{id}\">", html);
        Assert.Contains("id=\"colormap\"", html);
        Assert.Contains("viridis: perceptually uniform, low → high saliency", html);
        Assert.Contains("<td>0.4603</td>", html);
        Assert.Contains("[0.4100, 0.5100]", html);
        Assert.Contains("lower is better", html);
        Assert.Contains("clean/gradcam/object", html);
        Assert.Contains("VERDICT: Sightline tells the models apart.", html);
        Assert.Contains("99.0%", html);                 // accuracy table
        Assert.Contains("<td>0.0005</td>", html);
        Assert.Contains("<td>0.3091</td>", html);
    }

    [Fact]
    public void Report_is_self_contained_and_well_formed()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path);
        var (html, _) = Build(dir.Path);
        Assert.Contains("data:image/png;base64,", html);
        Assert.DoesNotContain("http://", html);
        Assert.DoesNotContain("https://", html);
        Assert.DoesNotContain("src=\"/", html);
        Assert.DoesNotContain("<script", html);
        Assert.DoesNotContain("<link", html);
        Assert.DoesNotContain("url(http", html);
        foreach (var tag in new[] { "section", "svg", "table", "figure", "div", "details", "ul" })
            Assert.True(Count(html, $"<{tag}") == Count(html, $"</{tag}>"), $"<{tag}> opened {Count(html, $"<{tag}")} times, closed {Count(html, $"</{tag}>")} times.");
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.EndsWith("</html>\n", html);
        // Every src is a data URI of a decodable PNG.
        foreach (Match m in Regex.Matches(html, "src=\"data:image/png;base64,([^\"]+)\""))
        {
            var bytes = Convert.FromBase64String(m.Groups[1].Value);
            Assert.Equal(0x89, bytes[0]);
        }
    }

    [Fact]
    public void Histograms_and_bar_charts_are_drawn_per_metric_with_one_colour_per_model()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path);
        var (html, _) = Build(dir.Path);
        var distributions = Regex.Match(html, "<section id=\"distributions\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        // 3 metrics × 2 masks (one panel per method/mask), each with both models in the legend.
        Assert.Equal(6, Count(distributions, "<svg"));
        Assert.Contains("share of samples", distributions);
        Assert.Contains("iou: gradcam/object", distributions);
        Assert.Contains("#0072B2", distributions);
        Assert.Contains("#E69F00", distributions);
        Assert.Contains("clean n=120", distributions);
        var comparison = Regex.Match(html, "<section id=\"comparison\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("mean (95% CI)", comparison);
        Assert.Contains("<path d=\"M", comparison);      // CI whiskers
        Assert.Contains("mean difference", comparison);
    }

    [Fact]
    public void Examples_show_the_best_then_the_worst_by_the_first_score()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path, examples: 6);
        var (html, _) = Build(dir.Path, examples: 2);
        var section = Regex.Match(html, "<section id=\"examples\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("ranked by <strong>iou_object</strong> of clean/gradcam (higher is better)", section);
        var shown = Regex.Matches(section, "</span>#(\\d+):").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal([5, 0], shown);
        // A sub-heading that says what the pictures are (not the file name), and the producer's legend as a sentence.
        Assert.Contains("<h3>Best and worst examples</h3>", section);
        Assert.DoesNotContain("<h3>examples.json</h3>", section);
        Assert.Contains("1 best, then 1 worst, of 6 examples from <code>examples.json</code>. White outline: object mask.</p>", section);
        // input + two panels per example, all embedded.
        Assert.Equal(6, Count(section, "<img src=\"data:image/png;base64,"));
    }

    [Fact]
    public void On_a_planted_cue_mask_more_overlap_is_worse_and_the_report_says_so()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path);
        File.WriteAllText(dir.File("comparison.json"), """
            {"comparisons":[
              {"metric":"iou","mask":"object","mask_role":"object","method":"gradcam","a":"clean","b":"spurious","n":120,"mean_difference":0.3,"ci95":[0.27,0.35],"p_value":0.0005},
              {"metric":"iou","mask":"square","mask_role":"spurious","method":"gradcam","a":"clean","b":"spurious","n":120,"mean_difference":-0.3,"ci95":[-0.35,-0.27],"p_value":0.0005},
              {"metric":"sss","mask":"square","mask_role":"spurious","method":"gradcam","a":"clean","b":"spurious","n":120,"mean_difference":0.4,"ci95":[0.3,0.5],"p_value":0.0005}]}
            """);
        var summary = File.ReadAllText(dir.File("summaries/spurious_gradcam_object.json"))
            .Replace("\"group\":\"spurious/gradcam/object\"", "\"group\":\"spurious/gradcam/square\",\"mask_role\":\"spurious\"");
        File.WriteAllText(dir.File("summaries/spurious_gradcam_square.json"), summary);
        var (html, _) = Build(dir.Path);
        var rows = Regex.Matches(html, "<tr[^>]*><td>(iou|sss)</td><td class=\"text\">gradcam</td><td class=\"text\">(\\w+)[^<]*</td>.*?<td class=\"text\">(\\w+|—)</td></tr>")
            .ToDictionary(m => (m.Groups[1].Value, m.Groups[2].Value), m => m.Groups[3].Value);
        Assert.Equal("clean", rows[("iou", "object")]);
        Assert.Equal("clean", rows[("iou", "square")]);   // less overlap with the cue is better
        Assert.Equal("clean", rows[("sss", "square")]);   // more saliency outside the cue is better
        Assert.Contains("lower is better: high means attention on the planted cue", html);
        Assert.Contains("higher is better: low means attention on the planted cue", html);
        Assert.Contains("<tr class=\"cue\"><td>spurious</td><td class=\"text\">gradcam</td><td class=\"text\">square (cue)</td>", html);
    }

    [Fact]
    public void Headline_starts_with_one_table_of_every_group_and_per_class_rows_carry_class_names()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path);
        var path = dir.File("summaries/clean_gradcam_object.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"samples\":120,", "\"samples\":120,\"class_names\":[\"T-shirt/top\",\"Trouser\"],"));
        var (html, _) = Build(dir.Path);
        var headline = Regex.Match(html, "<section id=\"headline\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        Assert.StartsWith("<h2>Headline numbers</h2>\n<p class=\"note\">Mean (three decimals) with its bootstrap 95% CI", headline.TrimStart());
        Assert.Contains("<table id=\"headline-table\"><thead><tr><th>model</th><th class=\"text\">method</th><th class=\"text\">mask</th><th>sss</th><th>iou</th>", headline);
        Assert.Contains("<td>clean</td><td class=\"text\">gradcam</td><td class=\"text\">object</td><td>0.310 <span class=\"ci\">[0.27, 0.35]</span></td><td>0.460 <span class=\"ci\">[0.41, 0.51]</span></td>", headline);
        Assert.Contains("<details><summary>Per group", headline);
        Assert.Contains("<td>0 T-shirt/top</td>", html);
        Assert.Contains("<td>1 Trouser</td>", html);
    }

    [Fact]
    public void Examples_ranked_by_their_producer_keep_its_order_and_show_every_score()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path, examples: 6);
        // The producer ranked its samples: 3 best then 3 worst, with ten scores per panel.
        var json = File.ReadAllText(dir.File("examples.json"));
        string[] ranks = ["best", "best", "best", "worst", "worst", "worst"];
        for (int e = 0; e < 6; e++) json = json.Replace($"{{\"index\":{e},", $"{{\"index\":{e},\"rank\":\"{ranks[e]}\",");
        json = json.Replace("\"pointing_game_object\":1}", "\"pointing_game_object\":1,\"iou_square\":0.1,\"pointing_game_square\":0,\"gtc_object\":0.2,\"gtc_square\":0.3,\"sc_object\":0.4,\"sc_square\":0.5,\"sss_object\":0.6,\"sss_square\":null}");
        json = json.Replace("{\"examples\":", "{\"ranking\":{\"key\":\"k\",\"description\":\"ranked by the producer's key\"},\"examples\":");
        File.WriteAllText(dir.File("examples.json"), json);
        var (html, _) = Build(dir.Path, examples: 4);
        var section = Regex.Match(html, "<section id=\"examples\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        // The producer's description is its own sentence ("…first, ranked by …: 2 best" read as one broken sentence).
        Assert.Contains("<p class=\"note\">Ranked by the producer&#39;s key. Shown: 2 best, then 2 worst from <code>examples.json</code>. White outline: object mask.</p>", section);
        var shown = Regex.Matches(section, "</span>#(\\d+):").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.Equal([0, 1, 3, 4], shown);
        Assert.Contains("<li>sc_<wbr>square 0.5000</li>", section);
        Assert.Contains("<li>pointing_<wbr>game_<wbr>square 0.0000</li>", section);
        Assert.Contains("<li>sss_<wbr>square NaN</li>", section);
    }

    [Fact]
    public void Score_groups_without_model_columns_take_the_file_name_and_parquet_twins_are_read_once()
    {
        using var dir = new TempDir();
        var table = new ResultTable();
        table.Add(new Int64Column("index", [0, 1, 2, 3]));
        table.Add(new DoubleColumn("iou", [0.1, 0.2, double.NaN, 0.9]));
        table.Add(new StringColumn("si_case", ["a", "b", null, "a"]));
        ResultWriter.Write(table, dir.File("run/scores.csv"));
        ResultWriter.Write(table, dir.File("run/scores.parquet"));
        ResultWriter.Write(table, dir.File("other/pq_only.parquet"));
        var inputs = ResultsScanner.Scan(dir.Path);
        Assert.Equal(2, inputs.ScoreGroups.Count);
        var pq = inputs.ScoreGroups.Single(g => g.Key.Name == "pq_only");
        Assert.Equal(new long[] { 0, 1, 2, 3 }, pq.Index);
        Assert.True(double.IsNaN(pq.Scores["iou"][2]));
        Assert.Equal(0.9, pq.Scores["iou"][3]);
        var (html, _) = Build(dir.Path);
        // Without summaries the headline is computed from the scores: mean of 0.1, 0.2, 0.9 with one NaN.
        Assert.Contains("computed from the per-sample scores", html);
        Assert.Contains("<td>0.4000</td>", html);
        Assert.Contains("<td>3</td><td>1</td>", html);
    }

    [Fact]
    public void An_explain_folder_gives_an_overlay_grid_and_class_counts()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("predictions.csv"), "index,path,label,predicted,probability,target\n0,a.png,1,1,0.93,1\n1,b.png,2,1,0.55,1\n2,c.png,2,2,0.8,2\n");
        var rgba = Enumerable.Repeat((byte)200, 8 * 8 * 4).ToArray();
        for (int i = 0; i < 3; i++) ImageDecoder.WritePng(dir.File($"overlays/{i:D6}.png"), 8, 8, rgba);
        var (html, inputs) = Build(dir.Path, examples: 2);
        Assert.Single(inputs.ExplainOutputs);
        Assert.Contains("<section id=\"classes\">", html);
        Assert.Contains("accuracy 66.7%", html);
        Assert.Contains("#0: predicted 1, p = 0.9300 ✓", html);
        Assert.Contains("#1: predicted 1, p = 0.5500 ✗ (label 2)", html);
        Assert.DoesNotContain("#2: predicted", html);
        Assert.Equal(2, Count(html, "<img src=\"data:image/png;base64,"));
    }

    [Fact]
    public void An_empty_folder_is_an_input_error_naming_the_expected_files()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("notes.txt"), "nothing here");
        var e = Assert.Throws<InputDataException>(() => HtmlReport.Write(dir.Path, dir.File("r.html"), new ReportOptions()));
        Assert.Contains("no results found", e.Message);
        Assert.Contains("comparison.json", e.Message);
        Assert.Contains("predictions.csv", e.Message);
        Assert.False(File.Exists(dir.File("r.html")));
    }

    [Fact]
    public void Paired_comparison_headers_of_text_columns_are_left_aligned_like_their_values()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path);
        var (html, _) = Build(dir.Path);
        Assert.Contains("<tr><th>metric</th><th class=\"text\">method</th><th class=\"text\">mask</th><th class=\"text\">a</th><th class=\"text\">b</th><th>n</th><th>mean difference</th><th>95% CI</th><th>p</th><th class=\"text\">better</th></tr>", html);
        Assert.Contains("th.text{text-align:left}", html.Replace("td.text,", ""));
    }

    [Fact]
    public void Empty_SemScore_class_rankings_are_left_out_of_the_SemScore_line()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path);
        foreach (var name in new[] { "clean_gradcam_object", "spurious_gradcam_object" })
        {
            var path = dir.File($"summaries/{name}.json");
            File.WriteAllText(path, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(path), "\"(top|bottom)_classes\":\\[[^\\]]*\\]", "\"$1_classes\":[]"));
        }
        var (html, _) = Build(dir.Path);
        var line = Regex.Match(html, "<p class=\"note\">SemScore: ([^<]*)</p>").Groups[1].Value;
        Assert.StartsWith("ppa 0.3100; pia 0.3100; screening rate 1; undefined predictions 7", line);
        Assert.DoesNotContain("classes", line);
        Assert.DoesNotContain(" ;", line);
        Assert.False(line.TrimEnd().EndsWith(';'), line);
    }

    [Fact]
    public void A_corrupt_or_truncated_overlay_png_becomes_a_warning_tile_and_a_warning_not_an_image()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("predictions.csv"), "index,path,label,predicted,probability,target\n0,a.png,1,1,0.93,1\n1,b.png,2,1,0.55,1\n2,c.png,2,2,0.8,2\n");
        var rgba = Enumerable.Range(0, 8 * 8 * 4).Select(i => (byte)(i % 4 == 3 ? 255 : i)).ToArray();
        Directory.CreateDirectory(dir.File("overlays"));
        for (int i = 0; i < 3; i++) Sightline.IO.Png.WriteRgba8(dir.File($"overlays/{i:D6}.png"), 8, 8, rgba);
        var bytes = File.ReadAllBytes(dir.File("overlays/000001.png"));
        File.WriteAllBytes(dir.File("overlays/000001.png"), bytes[..(bytes.Length - 20)]);   // truncated: no IEND
        var (html, warnings) = HtmlReport.Render(ResultsScanner.Scan(dir.Path), new ReportOptions { Examples = 3 });
        Assert.Equal(2, Count(html, "<img src=\"data:image/png;base64,"));
        Assert.Contains("<div class=\"unreadable\" role=\"img\" aria-label=\"#1: predicted 1, p = 0.5500 ✗ (label 2): image not shown\">⚠ does not decode: truncated PNG", html);
        var warning = Assert.Single(warnings);
        Assert.StartsWith("overlays/000001.png: does not decode: truncated PNG", warning);
        Assert.Contains("<section id=\"warnings\">", html);
        Assert.True(html.IndexOf("<section id=\"warnings\">", StringComparison.Ordinal) < html.IndexOf("<section id=\"classes\">", StringComparison.Ordinal), "The warnings open the page.");
        // Explain overlays are blended over the input: the legend says so for them.
        Assert.Contains("The explain overlays are blended over a grayscale copy of the input", html);
        Assert.DoesNotContain("no input image", html);
    }

    [Theory]
    [InlineData("{\"comparisons\": [ {\"metric\": ", "the verdict and paired comparisons are left out")]
    [InlineData("{\"comparison\": []}", "no &#39;comparisons&#39; array")]
    [InlineData("[1, 2]", "not an object")]
    public void A_broken_comparison_file_is_a_visible_warning(string json, string expected)
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path);
        File.WriteAllText(dir.File("comparison.json"), json);
        var (html, _) = Build(dir.Path);
        Assert.DoesNotContain("<section id=\"verdict\">", html);
        var warnings = Regex.Match(html, "<section id=\"warnings\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("<li>comparison.json: ", warnings);
        Assert.Contains(expected, warnings);
    }

    [Fact]
    public void A_broken_examples_file_is_a_visible_warning()
    {
        using var dir = new TempDir();
        SyntheticResults.Write(dir.Path);
        File.WriteAllText(dir.File("examples.json"), "{\"examples\": [ {\"index\": 0, ");
        var (html, _) = Build(dir.Path);
        var warnings = Regex.Match(html, "<section id=\"warnings\">(.*?)</section>", RegexOptions.Singleline).Groups[1].Value;
        Assert.Contains("<li>examples.json: ", warnings);
        Assert.Contains("its examples are left out", warnings);
    }

    [Fact]
    public void Heat_maps_outline_the_mask_in_white()
    {
        var map = new float[16];
        map[5] = 1;
        var mask = new float[16];
        mask[5] = mask[6] = 1;
        var png = HtmlReport.HeatMap(map, mask, 4, 4);
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("h.png"), png);
        var image = ImageDecoder.Decode(dir.File("h.png"));
        Assert.Equal(128, image.Width);                 // 4 px × 32
        int Pixel(int x, int y) => (y * image.Width + x) * 3;
        Assert.Equal(255, image.Rgb[Pixel(32, 40)]);    // left edge of mask cell (1,1)
        Assert.Equal(255, image.Rgb[Pixel(32, 40) + 1]);
        Assert.NotEqual(255, image.Rgb[Pixel(48, 48) + 1]); // inside the cell: the heat colour
    }

    [Fact]
    public void Png_bytes_for_data_uris_round_trip_through_the_decoder()
    {
        var rgba = new byte[3 * 2 * 4];
        for (int i = 0; i < rgba.Length; i++) rgba[i] = (byte)(i % 4 == 3 ? 255 : i * 9);
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("x.png"), Sightline.IO.Png.EncodeRgba8(3, 2, rgba));
        var image = ImageDecoder.Decode(dir.File("x.png"));
        Assert.Equal((3, 2), (image.Width, image.Height));
        for (int p = 0; p < 6; p++)
            for (int c = 0; c < 3; c++) Assert.Equal(rgba[p * 4 + c], image.Rgb[p * 3 + c]);
    }
}
