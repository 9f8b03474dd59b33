using System.Globalization;

namespace Sightline.Alignment;

/// <summary>
/// Cut-offs for Shared Interest's recurring patterns. The paper (Boggust et al., CHI 2022, §4) describes the
/// patterns only as "high"/"low", so every cut-off is a parameter; the defaults (high ≥ 0.5, low &lt; 0.25) are this
/// port's choice, not the paper's.
/// </summary>
public sealed record SharedInterestCutoffs(
    double IouHigh = 0.5, double ScHigh = 0.5, double GtcHigh = 0.5,
    double IouLow = 0.25, double ScLow = 0.25, double GtcLow = 0.25)
{
    /// <summary>
    /// Applies <c>--si-high</c>/<c>--si-low</c> text: either one number for all three scores (<c>0.6</c>) or
    /// <c>iou=0.6,sc=0.5,gtc=0.5</c> (any subset).
    /// </summary>
    public SharedInterestCutoffs With(string? high, string? low)
    {
        var r = this;
        if (high is not null)
        {
            var (i, s, g) = Parse(high, "--si-high", (IouHigh, ScHigh, GtcHigh));
            r = r with { IouHigh = i, ScHigh = s, GtcHigh = g };
        }
        if (low is not null)
        {
            var (i, s, g) = Parse(low, "--si-low", (IouLow, ScLow, GtcLow));
            r = r with { IouLow = i, ScLow = s, GtcLow = g };
        }
        return r;
    }

    private static (double, double, double) Parse(string text, string option, (double Iou, double Sc, double Gtc) current)
    {
        // A NaN cut-off makes every comparison false (no sample is ever 'high' or 'low'): every cut-off must be finite.
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var all))
            return double.IsFinite(all) ? (all, all, all) : throw NotFinite(option, text);
        var (iou, sc, gtc) = current;
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new InputDataException($"{option} '{text}' gives no cut-off; use a number or iou=0.5,sc=0.5,gtc=0.5.");
        foreach (var part in parts)
        {
            var kv = part.Split('=', 2);
            if (kv.Length != 2 || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                throw new InputDataException($"{option}: '{part}' is not NAME=VALUE; use a number or iou=0.5,sc=0.5,gtc=0.5.");
            if (!double.IsFinite(v)) throw NotFinite(option, part);
            switch (kv[0].ToLowerInvariant())
            {
                case "iou": iou = v; break;
                case "sc": sc = v; break;
                case "gtc": gtc = v; break;
                default: throw new InputDataException($"{option}: unknown score '{kv[0]}'; use iou, sc or gtc.");
            }
        }
        return (iou, sc, gtc);
    }

    private static InputDataException NotFinite(string option, string text) =>
        new($"{option}: '{text}' is not a finite cut-off; give a number such as 0.5 (scores lie in [0, 1]).");
}

/// <summary>
/// Shared Interest's eight recurring patterns (Boggust et al., CHI 2022, Fig. 2), decided top-down, first match wins:
/// high IoU → human_aligned / confuser; high SC with low GTC → sufficient_subset / insufficient_subset; high GTC with
/// low SC → sufficient_context / distractor; all three low → context_dependent / context_confusion (correct / incorrect
/// prediction). No match → <c>unclassified</c>; a NaN score → <c>undefined</c>. "High" is ≥ the high cut-off and "low"
/// is &lt; the low cut-off.
/// </summary>
public static class SharedInterestCase
{
    /// <summary>The pattern name for one sample.</summary>
    public static string Classify(double iou, double sc, double gtc, bool correct, SharedInterestCutoffs c)
    {
        if (double.IsNaN(iou) || double.IsNaN(sc) || double.IsNaN(gtc)) return "undefined";
        if (iou >= c.IouHigh) return correct ? "human_aligned" : "confuser";
        if (sc >= c.ScHigh && gtc < c.GtcLow) return correct ? "sufficient_subset" : "insufficient_subset";
        if (gtc >= c.GtcHigh && sc < c.ScLow) return correct ? "sufficient_context" : "distractor";
        if (iou < c.IouLow && sc < c.ScLow && gtc < c.GtcLow) return correct ? "context_dependent" : "context_confusion";
        return "unclassified";
    }
}
