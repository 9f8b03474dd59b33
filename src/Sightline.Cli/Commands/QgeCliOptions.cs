using System.CommandLine;
using System.Globalization;
using Sightline.Evaluation.Qge;

namespace Sightline.Cli.Commands;

/// <summary>The QGE options shared by <c>align</c> and <c>evaluate</c> (<c>--qge</c>, <c>--qge-normalise</c>, <c>--random-baseline</c>, <c>--random-ranking</c>, <c>--qge-pool</c>).</summary>
internal sealed class QgeCliOptions
{
    private readonly Option<string?> _qge = new("--qge")
    {
        Description = "QGE (Eiras-Franco, Hedström, Höhne, AAAI 2025): also score each map's inverse and add <metric>_inverse and <metric>_qge = Ψ(e) − Ψ(e_inv). value_swap (the default when --qge has no value: reverse the order of the values, keep them) or sign_flip (−e; refused for metrics that take |a|).",
        HelpName = "value_swap|sign_flip",
        Arity = ArgumentArity.ZeroOrOne,
    };
    private readonly Option<bool> _normalise = new("--qge-normalise") { Description = "Sign QGE (and q_bas) so that higher is better for every metric (lower-is-better metrics are negated)." };
    private readonly Option<int> _baseline = new("--random-baseline") { Description = "Add <metric>_qbas = Ψ(e) − mean of Ψ over K seeded random rankings (the baseline QGE replaces; 1+K evaluations).", HelpName = "K" };
    private readonly Option<string> _ranking = new("--random-ranking") { Description = "The random rankings of --random-baseline and --qge-pool: random (a permutation of the values 0..d−1 over d−1) or chunky:C (one value per C×C cell).", DefaultValueFactory = _ => "random", HelpName = "random|chunky:C" };
    private readonly Option<int> _pool = new("--qge-pool") { Description = "The ground truth QGE estimates: Ψ on N random rankings per sample; adds <metric>_z (z-score of Ψ(e) in the pool), <metric>_pool_mean and <metric>_pool_std. Costly: N evaluations per sample.", HelpName = "N" };

    /// <summary>Adds the options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(_qge);
        command.Options.Add(_normalise);
        command.Options.Add(_baseline);
        command.Options.Add(_ranking);
        command.Options.Add(_pool);
    }

    /// <summary>The QGE settings, or null when none of the options was given.</summary>
    /// <exception cref="InputDataException">A bad value.</exception>
    public QgeOptions? Parse(ParseResult parse)
    {
        bool qgeGiven = parse.GetResult(_qge) is { Implicit: false };
        var method = parse.GetValue(_qge) ?? (qgeGiven ? "value_swap" : null);
        int k = parse.GetValue(_baseline), pool = parse.GetValue(_pool);
        bool normalise = parse.GetValue(_normalise);
        if (k < 0) throw new InputDataException($"--random-baseline {k}: give the number of random rankings K ≥ 1 (or leave it out).");
        if (pool < 0) throw new InputDataException($"--qge-pool {pool}: give the pool size N ≥ 2 (or leave it out).");
        if (pool == 1) throw new InputDataException("--qge-pool 1: a z-score needs a pool of at least 2 rankings.");
        var (ranking, chunk) = ParseRanking(parse.GetValue(_ranking)!);
        bool rankingGiven = parse.GetResult(_ranking) is { Implicit: false };
        if (method is null && k == 0 && pool == 0)
        {
            if (normalise) throw new InputDataException("--qge-normalise needs --qge (or --random-baseline / --qge-pool).");
            if (rankingGiven) throw new InputDataException("--random-ranking needs --random-baseline K or --qge-pool N.");
            return null;
        }
        var inverse = (method ?? "value_swap").Trim().ToLowerInvariant() switch
        {
            "value_swap" or "value-swap" => InverseMethod.ValueSwap,
            "sign_flip" or "sign-flip" => InverseMethod.SignFlip,
            _ => throw new InputDataException($"--qge '{method}': give value_swap or sign_flip."),
        };
        return new QgeOptions { Method = inverse, NormaliseSign = normalise, RandomBaseline = k, Pool = pool, Ranking = ranking, Chunk = chunk };
    }

    internal static (RankingKind, int) ParseRanking(string text)
    {
        var t = text.Trim().ToLowerInvariant();
        if (t == "random") return (RankingKind.Random, 1);
        if (t.StartsWith("chunky:", StringComparison.Ordinal)
            && int.TryParse(t["chunky:".Length..], NumberStyles.Integer, CultureInfo.InvariantCulture, out var c) && c >= 1)
            return (RankingKind.Chunky, c);
        throw new InputDataException($"--random-ranking '{text}': give random or chunky:C with C a cell size ≥ 1 (e.g. chunky:4).");
    }
}
