using System.Globalization;
using System.Text;
using Sightline.Data;

namespace Sightline.Tests.Reports;

/// <summary>
/// A demo-like results folder written from scratch: per-sample scores with model/method/mask columns, two summary
/// files (clean/gradcam/object has iou mean 0.4603), comparison.json with a verdict, and examples.json with tiny PNGs.
/// </summary>
internal static class SyntheticResults
{
    public static readonly string[] Models = ["clean", "spurious"];
    public static readonly string[] Masks = ["object", "square"];

    public static void Write(string dir, int samples = 120, int examples = 6)
    {
        Directory.CreateDirectory(dir);
        var rng = new Random(7);
        var csv = new StringBuilder("model,method,mask,index,iou,pointing_game,sss,label,predicted\n");
        foreach (var model in Models)
            foreach (var mask in Masks)
            {
                bool aligned = (model == "clean") == (mask == "object");
                for (int i = 0; i < samples; i++)
                {
                    double iou = Math.Clamp((aligned ? 0.46 : 0.15) + 0.18 * Normal(rng), 0, 1);
                    int pg = rng.NextDouble() < (aligned ? 0.8 : 0.2) ? 1 : 0;
                    string sss = i % 17 == 5 ? "NaN" : F(Math.Clamp((aligned ? 0.3 : 0.7) + 0.2 * Normal(rng), 0, 1));
                    csv.Append($"{model},gradcam,{mask},{i},{F(iou)},{pg},{sss},{i % 3},{(i % 5 == 0 ? (i + 1) % 3 : i % 3)}\n");
                }
            }
        File.WriteAllText(Path.Combine(dir, "scores.csv"), csv.ToString());

        Directory.CreateDirectory(Path.Combine(dir, "summaries"));
        File.WriteAllText(Path.Combine(dir, "summaries", "clean_gradcam_object.json"), Summary("clean/gradcam/object", 0.4603, 0.41, 0.51, 0.81, 0.31));
        File.WriteAllText(Path.Combine(dir, "summaries", "spurious_gradcam_object.json"), Summary("spurious/gradcam/object", 0.1512, 0.12, 0.18, 0.22, 0.69));

        File.WriteAllText(Path.Combine(dir, "comparison.json"), """
            {"comparisons":[
              {"metric":"iou","mask":"object","method":"gradcam","a":"clean","b":"spurious","n":120,"mean_difference":0.3091,"ci95":[0.27,0.35],"p_value":0.0005},
              {"metric":"sss","mask":"object","method":"gradcam","a":"clean","b":"spurious","n":120,"mean_difference":-0.01,"ci95":[-0.05,0.03],"p_value":0.61}],
             "accuracy":{"clean":{"matching":0.91,"shuffled":0.9},"spurious":{"matching":0.99,"shuffled":0.31}},
             "verdict":{"passed":true,"lines":["object alignment: clean − spurious = 0.309","VERDICT: Sightline tells the models apart."]}}
            """);

        const int size = 28;
        Directory.CreateDirectory(Path.Combine(dir, "examples"));
        var items = new List<string>();
        for (int e = 0; e < examples; e++)
        {
            var rgb = new byte[size * size * 3];
            var rgba = new byte[size * size * 4];
            for (int p = 0; p < size * size; p++)
            {
                int x = p % size, y = p / size;
                byte v = (byte)((x - 14) * (x - 14) + (y - 14) * (y - 14) < 60 ? 220 : 40);
                rgb[p * 3] = rgb[p * 3 + 1] = rgb[p * 3 + 2] = v;
                rgba[p * 4] = rgba[p * 4 + 1] = rgba[p * 4 + 2] = v;
                rgba[p * 4 + 3] = 255;
            }
            ImageDecoder.WritePng(Path.Combine(dir, "examples", $"{e:D6}_input.png"), size, size, rgba);
            var panels = new List<string>();
            foreach (var model in Models)
            {
                var map = new float[size * size];
                double cx = model == "clean" ? 14 : 3, cy = model == "clean" ? 14 : 3;
                for (int p = 0; p < size * size; p++) map[p] = (float)Math.Exp(-((p % size - cx) * (p % size - cx) + (p / size - cy) * (p / size - cy)) / 30.0);
                var overlay = new byte[size * size * 4];
                Colormap.Overlay(rgb, map, size, size, overlay);
                ImageDecoder.WritePng(Path.Combine(dir, "examples", $"{e:D6}_{model}_gradcam.png"), size, size, overlay);
                // Example e's clean iou is 0.1·(e+1) (so example 5 is the best and 0 the worst).
                double iou = model == "clean" ? 0.1 * (e + 1) : 0.05;
                panels.Add("{\"model\":\"" + model + "\",\"method\":\"gradcam\",\"image\":\"examples/" + e.ToString("D6") + "_" + model + "_gradcam.png\",\"scores\":{\"iou_object\":" + F(iou) + ",\"pointing_game_object\":1}}");
            }
            items.Add("{\"index\":" + e + ",\"title\":\"Ellipse (label " + e % 3 + ")\",\"input\":\"examples/" + e.ToString("D6") + "_input.png\",\"panels\":[" + string.Join(",", panels) + "]}");
        }
        File.WriteAllText(Path.Combine(dir, "examples.json"), "{\"examples\":[" + string.Join(",", items) + "],\"legend\":\"white outline: object mask\"}");
    }

    private static string Summary(string group, double iou, double lo, double hi, double pg, double sss) => $$$$"""
        {"samples":120,"failed_samples":0,"screened_samples":120,
         "settings":{"group":"{{{{group}}}}"},
         "metrics":{
           "iou":{"mean":{{{{F(iou)}}}},"std":0.18,"n":120,"nan":0,"median":{{{{F(iou)}}}},"ci95":[{{{{F(lo)}}}},{{{{F(hi)}}}}],"direction":"higher_is_better"},
           "pointing_game":{"mean":{{{{F(pg)}}}},"std":0.4,"n":120,"nan":0,"median":1,"ci95":[{{{{F(pg - 0.07)}}}},{{{{F(pg + 0.07)}}}}],"direction":"higher_is_better"},
           "sss":{"mean":{{{{F(sss)}}}},"std":0.2,"n":113,"nan":7,"median":{{{{F(sss)}}}},"ci95":[{{{{F(sss - 0.04)}}}},{{{{F(sss + 0.04)}}}}],"direction":"lower_is_better"}},
         "per_class":{
           "iou":{"0":{"mean":0.5011,"std":0.1,"n":40,"nan":0,"median":0.5,"ci95":[0.45,0.55]},"1":{"mean":0.4213,"std":0.1,"n":40,"nan":0,"median":0.42,"ci95":[0.37,0.47]}},
           "sss":{"0":{"mean":0.2,"std":0.1,"n":38,"nan":2,"median":0.2,"ci95":[0.15,0.25]},"1":{"mean":0.4,"std":0.1,"n":37,"nan":3,"median":0.4,"ci95":[0.35,0.45]}}},
         "semscore":{"ppa":{{{{F(sss)}}}},"pia":{{{{F(sss)}}}},"screening_rate":1,"undefined_predictions":7,"top_classes":[{"class":0,"mean":0.2,"n":38}],"bottom_classes":[{"class":1,"mean":0.4,"n":37}]},
         "si_case_counts":{"human_aligned":80,"context_dependent":40}}
        """;

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    private static string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
}
