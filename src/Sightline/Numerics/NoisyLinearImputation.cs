namespace Sightline.Numerics;

/// <summary>
/// Noisy linear imputation (Rong, Leemann, Borisov, Kasneci, Kasneci, "A Consistent and Efficient Evaluation Strategy for
/// Attribution Methods", ICML 2022; the ROAD authors' <c>NoisyLinearImputer</c>, which Quantus copies as
/// <c>noisy_linear_imputation</c>): every removed pixel v_p becomes the weighted average of its 8 neighbours, weights 1/6
/// for the 4 direct and 1/12 for the 4 diagonal neighbours, renormalised over the neighbours inside the image; known
/// neighbours enter with their values, removed ones as unknowns. Per channel this is the sparse system
/// (Σ_q w_pq) v_p − Σ_{q removed} w_pq v_q = Σ_{q known} w_pq x_q, symmetric (w_pq = w_qp) and diagonally dominant, so
/// positive definite whenever every connected group of removed pixels touches a known one. It is solved here by
/// Jacobi-preconditioned conjugate gradients in float64 (the reference uses SciPy's direct <c>spsolve</c>; both give the
/// solution to far below float32 resolution: the relative residual is driven below 1e-10), and then N(0, noise²) is
/// added to each imputed value (the reference's <c>noise·randn</c>).
/// </summary>
public static class NoisyLinearImputation
{
    private static readonly (int Dy, int Dx, double W)[] Neighbours =
    [
        (1, 1, 1.0 / 12), (0, 1, 1.0 / 6), (-1, 1, 1.0 / 12), (1, -1, 1.0 / 12),
        (0, -1, 1.0 / 6), (-1, -1, 1.0 / 12), (1, 0, 1.0 / 6), (-1, 0, 1.0 / 6),
    ];

    /// <summary>
    /// Imputes pixels <paramref name="removed"/> (flat indices into H×W, every channel) of <paramref name="image"/>
    /// (C×H×W, modified in place), then adds N(0, <paramref name="noise"/>²) drawn from <paramref name="random"/> (in
    /// channel-major order: channel 0's imputed pixels in the order given, then channel 1's, …).
    /// </summary>
    /// <returns>The largest number of conjugate-gradient iterations any channel took.</returns>
    public static int Impute(Span<float> image, int channels, int height, int width, ReadOnlySpan<int> removed, double noise, Random? random,
        double tolerance = 1e-10, int maxIterations = 0)
    {
        int n = removed.Length, pixels = height * width;
        if (n == 0) return 0;
        if (image.Length != channels * pixels) throw new ArgumentException("Image size does not match C×H×W.", nameof(image));
        var variable = new int[pixels];
        Array.Fill(variable, -1);
        for (int i = 0; i < n; i++) variable[removed[i]] = i;

        // Rows of the system: up to 8 unknown neighbours each (column, weight) and the diagonal.
        var cols = new int[n * 8];
        var weights = new double[n * 8];
        var counts = new byte[n];
        var diag = new double[n];
        for (int i = 0; i < n; i++)
        {
            int p = removed[i], y = p / width, x = p % width;
            double sum = 0;
            foreach (var (dy, dx, w) in Neighbours)
            {
                int yy = y + dy, xx = x + dx;
                if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
                sum += w;
                int q = yy * width + xx;
                if (variable[q] >= 0) { cols[i * 8 + counts[i]] = variable[q]; weights[i * 8 + counts[i]] = w; counts[i]++; }
            }
            diag[i] = sum;
        }

        int limit = maxIterations > 0 ? maxIterations : Math.Max(100, 4 * n);
        var b = new double[n];
        var v = new double[n];
        var r = new double[n];
        var z = new double[n];
        var d = new double[n];
        var q2 = new double[n];
        int most = 0;
        for (int c = 0; c < channels; c++)
        {
            var plane = image.Slice(c * pixels, pixels);
            for (int i = 0; i < n; i++)
            {
                int p = removed[i], y = p / width, x = p % width;
                double s = 0;
                foreach (var (dy, dx, w) in Neighbours)
                {
                    int yy = y + dy, xx = x + dx;
                    if (yy < 0 || yy >= height || xx < 0 || xx >= width) continue;
                    int q = yy * width + xx;
                    if (variable[q] < 0) s += w * plane[q];
                }
                b[i] = s;
                v[i] = s / diag[i]; // start: the known neighbours' average as if the unknown ones were 0
            }
            most = Math.Max(most, Solve(cols, weights, counts, diag, b, v, r, z, d, q2, tolerance, limit));
            for (int i = 0; i < n; i++) plane[removed[i]] = (float)v[i];
        }
        if (noise > 0 && random is not null)
            for (int c = 0; c < channels; c++)
            {
                var plane = image.Slice(c * pixels, pixels);
                for (int i = 0; i < n; i++) plane[removed[i]] += (float)(noise * Gaussian(random));
            }
        return most;
    }

    /// <summary>A standard normal draw (Box–Muller; one draw per call, two uniforms).</summary>
    public static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static int Solve(int[] cols, double[] weights, byte[] counts, double[] diag, double[] b, double[] v,
        double[] r, double[] z, double[] d, double[] q, double tolerance, int limit)
    {
        int n = b.Length;
        Multiply(cols, weights, counts, diag, v, r);
        double bNorm = 0, rz = 0;
        for (int i = 0; i < n; i++)
        {
            r[i] = b[i] - r[i];
            z[i] = r[i] / diag[i];
            d[i] = z[i];
            rz += r[i] * z[i];
            bNorm += b[i] * b[i];
        }
        bNorm = Math.Sqrt(bNorm);
        if (bNorm == 0) bNorm = 1;
        int it = 0;
        for (; it < limit; it++)
        {
            double rr = 0;
            for (int i = 0; i < n; i++) rr += r[i] * r[i];
            if (Math.Sqrt(rr) <= tolerance * bNorm) break;
            Multiply(cols, weights, counts, diag, d, q);
            double dq = 0;
            for (int i = 0; i < n; i++) dq += d[i] * q[i];
            if (dq <= 0) break;
            double alpha = rz / dq, rzNew = 0;
            for (int i = 0; i < n; i++)
            {
                v[i] += alpha * d[i];
                r[i] -= alpha * q[i];
                z[i] = r[i] / diag[i];
                rzNew += r[i] * z[i];
            }
            double beta = rzNew / rz;
            rz = rzNew;
            for (int i = 0; i < n; i++) d[i] = z[i] + beta * d[i];
        }
        return it;
    }

    private static void Multiply(int[] cols, double[] weights, byte[] counts, double[] diag, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double s = diag[i] * x[i];
            for (int j = 0; j < counts[i]; j++) s -= weights[i * 8 + j] * x[cols[i * 8 + j]];
            y[i] = s;
        }
    }
}
