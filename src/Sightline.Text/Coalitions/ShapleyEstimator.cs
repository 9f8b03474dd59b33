namespace Sightline.Text.Coalitions;

/// <summary>
/// TokenSHAP's and SemeX's importance estimate and normalisation (spec §2; Goldshmidt &amp; Horovicz 2024, arXiv
/// 2407.10114; Amara et al., arXiv 2505.07610). No Shapley weights: over the evaluated coalitions 𝒞,
/// φᵢ = mean_{C∈𝒞, i∈C} v(C) − mean_{C∈𝒞, i∉C} v(C) (an empty side gives NaN), then
/// ψᵢ = (φᵢ − min_j φⱼ) / Σₖ (φₖ − min_j φⱼ), with ψᵢ = 1/n when the denominator is 0. ψ lies in [0, 1], sums to 1 and the
/// least important player gets 0; any NaN makes the whole explanation invalid (all NaN).
/// </summary>
public static class ShapleyEstimator
{
    /// <summary>
    /// φ over the coalitions whose value is not null (a null value is a skipped coalition, e.g. a content-filter
    /// refusal, and counts on neither side).
    /// </summary>
    /// <param name="n">Number of players.</param>
    /// <param name="coalitions">Present-player masks, each of length n.</param>
    /// <param name="values">v(C) per coalition, null when skipped.</param>
    public static double[] Phi(int n, IReadOnlyList<bool[]> coalitions, IReadOnlyList<double?> values)
    {
        if (coalitions.Count != values.Count) throw new ArgumentException("one value per coalition");
        var withSum = new double[n];
        var withCount = new int[n];
        var withoutSum = new double[n];
        var withoutCount = new int[n];
        for (int c = 0; c < coalitions.Count; c++)
        {
            if (values[c] is not { } v) continue;
            var present = coalitions[c];
            for (int i = 0; i < n; i++)
            {
                if (present[i]) { withSum[i] += v; withCount[i]++; }
                else { withoutSum[i] += v; withoutCount[i]++; }
            }
        }
        var phi = new double[n];
        for (int i = 0; i < n; i++)
            phi[i] = withCount[i] == 0 || withoutCount[i] == 0
                ? double.NaN
                : withSum[i] / withCount[i] - withoutSum[i] / withoutCount[i];
        return phi;
    }

    /// <summary>
    /// Min-shift-and-sum normalisation (power 1): ψᵢ = (φᵢ − min φ) / Σₖ (φₖ − min φ); 1/n each when the sum is 0; all NaN
    /// when any φ is NaN or infinite (the explanation is invalid).
    /// </summary>
    public static double[] Normalise(ReadOnlySpan<double> phi)
    {
        int n = phi.Length;
        var psi = new double[n];
        if (n == 0) return psi;
        double min = double.PositiveInfinity;
        foreach (double p in phi)
        {
            if (!double.IsFinite(p)) { Array.Fill(psi, double.NaN); return psi; }
            min = Math.Min(min, p);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) sum += phi[i] - min;
        if (sum == 0) { Array.Fill(psi, 1.0 / n); return psi; }
        for (int i = 0; i < n; i++) psi[i] = (phi[i] - min) / sum;
        return psi;
    }

    /// <summary>
    /// The closed form with the essential coalitions only (TokenSHAP with sampling ratio 0): with sⱼ = v(N∖{j}),
    /// φᵢ = (Σ_{j≠i} sⱼ)/(n − 1) − sᵢ, so ψᵢ = (s_max − sᵢ)/Σₖ (s_max − sₖ), a pure leave-one-out ranking.
    /// </summary>
    /// <param name="leaveOneOut">sⱼ = v(N∖{j}), j = 0..n−1 (n ≥ 2).</param>
    public static double[] LeaveOneOutPhi(ReadOnlySpan<double> leaveOneOut)
    {
        int n = leaveOneOut.Length;
        double total = 0;
        foreach (double s in leaveOneOut) total += s;
        var phi = new double[n];
        for (int i = 0; i < n; i++) phi[i] = (total - leaveOneOut[i]) / (n - 1) - leaveOneOut[i];
        return phi;
    }
}
