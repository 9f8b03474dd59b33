using Sightline.Studies;
using Sightline.Tests.Cli;

namespace Sightline.Tests.Studies;

public sealed class StudyFileTests
{
    [Fact]
    public void A_study_file_reads_every_section_with_its_defaults()
    {
        using var dir = new TempDir();
        var path = StudyTestKit.Write(dir, extra: "params: [iou.binarize=std:0.5]");
        var def = StudyFile.Load(path);
        Assert.Equal("kit", def.Name);
        Assert.Equal(dir.File("x.npy"), def.Data.Inputs);
        Assert.Equal(["object", "parts"], def.Masks.Select(m => m.Name));
        Assert.Equal(StudyTargetKind.Predicted, def.Targets.Kind);
        Assert.Equal(["a", "b"], def.Models.Select(m => m.Name));
        Assert.Equal(["saliency", "gradcam"], def.Methods.Select(m => m.Name));
        Assert.Equal("features", def.Methods[1].LayerFor("a"));
        Assert.Equal("minmax", def.Methods[1].Options["normalise"]);
        Assert.Equal(["iou.binarize=std:0.5"], def.Params);
        Assert.Equal(5, def.Chunk);
        Assert.Equal(200, def.Statistics.Bootstrap);
        Assert.Equal(["iou", "pointing_game"], def.Statistics.FeatureRanking);
    }

    [Fact]
    public void Json_study_files_are_accepted_too()
    {
        using var dir = new TempDir();
        StudyTestKit.Write(dir);
        File.WriteAllText(dir.File("study.json"), """
            {"study": "j", "data": {"inputs": "x.npy"}, "models": [{"name": "a", "path": "a.model"}],
             "methods": ["saliency"], "metrics": "sparseness", "run": {"chunk": 7}}
            """);
        var def = StudyFile.Load(dir.File("study.json"));
        Assert.Equal("j", def.Name);
        Assert.Equal(7, def.Chunk);
        Assert.Empty(def.Masks);
    }

    [Fact]
    public void Mask_classes_marks_the_target_set_as_scored_per_target()
    {
        using var dir = new TempDir();
        var def = StudyFile.Load(StudyTestKit.Write(dir, targets: "{kind: mask_classes, from: parts}"));
        Assert.Equal(StudyTargetKind.MaskClasses, def.Targets.Kind);
        Assert.True(def.Masks.Single(m => m.Name == "parts").PerTarget);
        Assert.False(def.Masks.Single(m => m.Name == "object").PerTarget);
        Assert.Equal(1, def.Targets.Offset);
    }

    [Theory]
    [InlineData("study: x\nmodels: []", "data: missing (required)")]
    [InlineData("studdy: x", "studdy: unknown key")]
    [InlineData("METHODS", "methods[1]: method 'gradcam' needs a layer for model 'a'")]
    [InlineData("TARGETS", "targets: 'best': use predicted, label or mask_classes")]
    [InlineData("METRICS", "metrics: Unknown metric 'iouu'")]
    [InlineData("PARAMS", "params: iou.kk: 'iou' has no option 'kk'")]
    [InlineData("CHUNK", "run.chunk: '0': expected an integer ≥ 1")]
    [InlineData("MODEL", "models[0].path: ")]
    [InlineData("YAML", "study.yaml:2: not valid YAML")]
    [InlineData("DUP", "models[1].name: 'a' names two models")]
    [InlineData("OPTION", "methods[0].steps: '-3' is not a valid steps")]
    public void Invalid_study_files_fail_with_one_line_naming_the_key(string kind, string expected)
    {
        using var dir = new TempDir();
        var path = StudyTestKit.Write(dir);
        var good = File.ReadAllText(path);
        string text = kind switch
        {
            "METHODS" => good.Replace("{name: gradcam, layer: features, normalise: minmax}", "gradcam"),
            "TARGETS" => good.Replace("targets: predicted", "targets: best"),
            "METRICS" => good.Replace("[sss, iou, pointing_game, sparseness]", "[sss, iouu]"),
            "PARAMS" => good + "\nparams: [iou.kk=1]",
            "CHUNK" => good.Replace("chunk: 5", "chunk: 0"),
            "MODEL" => good.Replace("path: a.model", "path: missing.model"),
            "YAML" => "study: x\n  - : [\n",
            "DUP" => good.Replace("{name: b, path: b.model}", "{name: a, path: b.model}"),
            "OPTION" => good.Replace("methods: [saliency,", "methods: [{name: integrated_gradients, steps: -3},"),
            _ => kind,
        };
        File.WriteAllText(path, text);
        var e = Assert.Throws<InputDataException>(() => StudyPlan.Create(StudyFile.Load(path)));
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith(path, e.Message);
    }
}
