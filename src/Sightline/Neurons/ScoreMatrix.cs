namespace Sightline.Neurons;

/// <summary>
/// The output of a neuron metric: S ∈ ℝ^{n_neurons × n_concepts} with S[k,t] = sim(a_k, c_t), stored row-major
/// (<c>Values[k * Concepts + t]</c>). NaN marks an undefined score (e.g. iou 0/0), +∞ is possible for wpmi on an all-zero concept.
/// </summary>
/// <param name="Neurons">Number of rows (neurons).</param>
/// <param name="Concepts">Number of columns (concepts).</param>
/// <param name="Values">Row-major values, length Neurons × Concepts.</param>
public sealed record ScoreMatrix(int Neurons, int Concepts, double[] Values)
{
    /// <summary>S[k, t].</summary>
    public double this[int neuron, int concept] => Values[neuron * Concepts + concept];

    /// <summary>A matrix of zeros.</summary>
    public static ScoreMatrix Zeros(int neurons, int concepts) => new(neurons, concepts, new double[neurons * concepts]);

    /// <summary>Applies <paramref name="f"/> elementwise to two matrices of the same shape.</summary>
    public static ScoreMatrix Combine(ScoreMatrix x, ScoreMatrix y, Func<double, double, double> f)
    {
        if (x.Neurons != y.Neurons || x.Concepts != y.Concepts) throw new ArgumentException("Score matrices differ in shape.");
        var v = new double[x.Values.Length];
        for (int i = 0; i < v.Length; i++) v[i] = f(x.Values[i], y.Values[i]);
        return new ScoreMatrix(x.Neurons, x.Concepts, v);
    }
}
