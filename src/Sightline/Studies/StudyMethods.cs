using System.Globalization;
using Sightline.Data;
using Sightline.Explainers;

namespace Sightline.Studies;

/// <summary>
/// Turns a study's <see cref="StudyMethod"/> into an explainer with its settings, with <c>explain</c>'s option names and
/// defaults (snake_case keys: <c>steps</c>, <c>rule</c>, <c>baseline</c>, <c>noise_level</c>, <c>samples</c>,
/// <c>window</c>, <c>stride</c>, <c>occlusion_baseline</c>, <c>rise_masks</c>, <c>rise_p</c>, <c>rise_cell</c>,
/// <c>abs</c>, <c>channel_reduce</c>, <c>cam_style</c>, <c>seed</c>) plus <c>normalise</c>: <c>minmax</c> scales each
/// map to [0, 1] per sample before scoring (SemScore's threshold τ assumes CAM-like maps in [0, 1]), <c>none</c> (the
/// default) keeps the method's values.
/// </summary>
public static class StudyMethods
{
    /// <summary>Checks every option's value; <paramref name="error"/> builds the exception for (key, message).</summary>
    public static void CheckOptions(StudyMethod method, Func<string, string, Exception> error)
    {
        foreach (var (key, value) in method.Options)
        {
            bool ok = key switch
            {
                "steps" or "samples" or "window" or "stride" or "rise_masks" or "rise_cell" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) && i > 0,
                "seed" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
                "noise_level" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d >= 0 && double.IsFinite(d),
                "rise_p" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var p) && p > 0 && p <= 1,
                "occlusion_baseline" => float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && float.IsFinite(f),
                "abs" => value is "true" or "false",
                "rule" => value is "gausslegendre" or "riemann_right" or "riemann_left" or "riemann_middle" or "riemann_trapezoid" or "riemann_trapezoid_captum",
                "baseline" => ExplainOptionValues.TryParseBaseline(value, out _, out _),
                "channel_reduce" => ExplainOptionValues.TryParseChannelReduce(value, out _),
                "cam_style" => ExplainOptionValues.TryParseCamStyle(value, out _),
                "normalise" => value is "none" or "minmax",
                _ => false,
            };
            if (!ok) throw error(key, $"'{value}' is not a valid {key}: {Expected(key)}.");
        }
    }

    private static string Expected(string key) => key switch
    {
        "steps" or "samples" or "window" or "stride" or "rise_masks" or "rise_cell" => "a positive integer",
        "seed" => "an integer",
        "noise_level" => "σ ≥ 0, a fraction of each input's value range",
        "rise_p" => "a probability in (0, 1]",
        "occlusion_baseline" => "a finite number",
        "abs" => "true or false",
        "rule" => "gausslegendre, riemann_right, riemann_left, riemann_middle, riemann_trapezoid or riemann_trapezoid_captum",
        "baseline" => ExplainOptionValues.BaselineChoices + " (one C×H×W baseline, or N×C×H×W: one per sample in data order)",
        "channel_reduce" => ExplainOptionValues.ChannelReduceChoices,
        "cam_style" => ExplainOptionValues.CamStyleChoices,
        "normalise" => "none or minmax",
        _ => "a known option",
    };

    private static int Int(StudyMethod m, string key, int fallback) => m.Options.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static double Double(StudyMethod m, string key, double fallback) => m.Options.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private static string Text(StudyMethod m, string key, string fallback) => m.Options.TryGetValue(key, out var v) ? v : fallback;

    /// <summary>The integrated-gradients baseline file of the method (resolved against the study file), or null.</summary>
    public static string? BaselineFile(StudyMethod m) =>
        m.Options.TryGetValue("baseline", out var v) && ExplainOptionValues.TryParseBaseline(v, out _, out var file) ? file : null;

    /// <summary>True when the method's maps are min–max scaled per sample before scoring.</summary>
    public static bool ScalesMinMax(StudyMethod m) => Text(m, "normalise", "none") == "minmax";

    /// <summary>True when the method needs gradients of the model (decided without building it for a model).</summary>
    public static bool NeedsGradients(StudyMethod m) => Create(m, m.Layer ?? m.Layers.Values.FirstOrDefault() ?? "layer", null).NeedsGradients;

    /// <summary>
    /// The explainer for <paramref name="layer"/> (CAM methods); <paramref name="preprocessing"/> (images only) gives the
    /// black baseline of integrated gradients, as <c>explain --baseline black</c> does; with ready tensors black is each
    /// sample's minimum value. A baseline file's values are <paramref name="baselineValues"/> (one C×H×W baseline, or one
    /// per explained item in order), read by the caller.
    /// </summary>
    public static IExplainer Create(StudyMethod m, string? layer, Preprocessing? preprocessing, int channels = 3, float[]? baselineValues = null)
    {
        ExplainOptionValues.TryParseBaseline(Text(m, "baseline", "zero"), out var baseline, out _);
        var options = new ExplainerOptions
        {
            Layer = layer,
            SaliencyAbsolute = Text(m, "abs", "true") == "true",
            IntegratedGradients = new IntegratedGradientsOptions
            {
                Steps = Int(m, "steps", 50),
                Rule = IntegrationRules.Parse(Text(m, "rule", "gausslegendre")),
                Baseline = baseline,
                BlackValues = baseline == BaselineKind.Black && preprocessing is { } pre ? ExplainOptionValues.BlackValues(pre, channels) : null,
                BaselineValues = baseline == BaselineKind.File ? baselineValues : null,
            },
            SmoothGrad = new SmoothGradOptions(Double(m, "noise_level", 0.15), Int(m, "samples", 25)),
            Occlusion = new OcclusionOptions(Int(m, "window", 8), Int(m, "stride", 4), (float)Double(m, "occlusion_baseline", 0)),
            Rise = new RiseOptions(Int(m, "rise_masks", 2000), Double(m, "rise_p", 0.5), Int(m, "rise_cell", 8)),
        };
        return ExplainerCatalog.Create(m.Method, options);
    }

    /// <summary>The method's explainer settings (channel reduction, CAM style, seed), with the study's budget.</summary>
    public static ExplainSettings Settings(StudyMethod m, int studySeed, int batchSize) => new()
    {
        BatchSize = batchSize,
        ChannelReduce = ExplainOptionValues.TryParseChannelReduce(Text(m, "channel_reduce", "sum"), out var reduce) ? reduce : ChannelReduce.Sum,
        CamStyle = ExplainOptionValues.TryParseCamStyle(Text(m, "cam_style", "gradcam"), out var style) ? style : CamStyle.GradCam,
        Seed = Int(m, "seed", studySeed),
    };
}
