using System.Numerics.Tensors;
using Sightline.Models;
using Sightline.Statistics;

namespace Sightline.Explainers;

/// <summary>
/// Rows already held in memory through the model, in calls of at most <c>rowsPerCall</c> rows: thin wrappers over
/// <see cref="StepBatcher"/>'s held-rows overloads, kept for callers that size calls themselves (rows produced on demand
/// go through <see cref="StepBatcher"/> directly).
/// </summary>
public static class Batched
{
    /// <summary>∂y[target]/∂x for <paramref name="rows"/> rows, batched.</summary>
    public static void Gradients(IGradientModel model, ReadOnlySpan<float> inputs, int rows, ReadOnlySpan<int> targets, Span<float> gradients, int rowsPerCall) =>
        StepBatcher.GradientsPerCall(model, inputs, rows, targets, gradients, rowsPerCall);

    /// <summary>Transforms the gradients of a batch in place, given the inputs (e.g. |g| or x ⊙ g).</summary>
    public delegate void GradientTransform(ReadOnlySpan<float> inputs, Span<float> gradients);

    /// <summary>
    /// The shared body of single-gradient pixel methods: ∂y_t/∂x for the batch (one <see cref="StepBatcher"/> run over
    /// the samples, sized by <see cref="ExplainSettings.Budget"/>), a per-method transform, then the channel reduction into
    /// <paramref name="output"/>.
    /// </summary>
    public static void GradientMaps(IModel model, string method, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings, GradientTransform transform)
    {
        var gm = ExplainMath.RequireGradients(model, method);
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        int size = c * h * w, outC = ExplainMath.PixelOutputChannels(c, settings);
        var grads = new float[inputs.Length];
        StepBatcher.Gradients(gm, inputs, batch, targets, grads, settings.Budget, ExplainMath.GradientActivationValues(gm));
        transform(inputs, grads);
        for (int i = 0; i < batch; i++)
            ExplainMath.Reduce(grads.AsSpan(i * size, size), c, h * w, settings.ChannelReduce, output.Slice(i * outC * h * w, outC * h * w));
    }

    /// <summary>Logits for <paramref name="rows"/> rows, batched.</summary>
    public static void Forward(IModel model, ReadOnlySpan<float> inputs, int rows, Span<float> logits, int rowsPerCall) =>
        StepBatcher.Forward(model, inputs, rows, logits, new ModelBudget { BatchSize = Math.Max(1, rowsPerCall) });
}

/// <summary>
/// Vanilla gradient saliency (Simonyan et al., "Deep Inside Convolutional Networks", ICLR Workshop 2014):
/// a = |∂y_t/∂x| per channel (absolute value on by default, as Captum's Saliency and the alignment seed use), then the
/// channel reduction.
/// </summary>
public sealed class Saliency(bool absolute = true) : IExplainer
{
    /// <inheritdoc/>
    public string Name => "saliency";
    /// <inheritdoc/>
    public bool NeedsGradients => true;
    /// <inheritdoc/>
    public bool NeedsLayer => false;
    /// <inheritdoc/>
    public int OutputChannels(int inputChannels, ExplainSettings settings) => ExplainMath.PixelOutputChannels(inputChannels, settings);

    /// <inheritdoc/>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings) =>
        Batched.GradientMaps(model, Name, inputs, batch, targets, output, settings, (_, g) => { if (absolute) TensorPrimitives.Abs(g, g); });
}

/// <summary>Input × gradient (Shrikumar et al., "Not Just a Black Box", 2016): a = x ⊙ ∂y_t/∂x, then the channel reduction.</summary>
public sealed class InputXGradient : IExplainer
{
    /// <inheritdoc/>
    public string Name => "input_x_gradient";
    /// <inheritdoc/>
    public bool NeedsGradients => true;
    /// <inheritdoc/>
    public bool NeedsLayer => false;
    /// <inheritdoc/>
    public int OutputChannels(int inputChannels, ExplainSettings settings) => ExplainMath.PixelOutputChannels(inputChannels, settings);

    /// <inheritdoc/>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings) =>
        Batched.GradientMaps(model, Name, inputs, batch, targets, output, settings, (x, g) => TensorPrimitives.Multiply(g, x, g));
}

/// <summary>The CLI and study-file names of <see cref="IntegrationRule"/> (Captum's <c>method</c> names).</summary>
public static class IntegrationRules
{
    /// <summary>The rule named <paramref name="name"/>; anything else is Gauss–Legendre (Captum's default).</summary>
    public static IntegrationRule Parse(string name) => name switch
    {
        "riemann_right" => IntegrationRule.RiemannRight,
        "riemann_left" => IntegrationRule.RiemannLeft,
        "riemann_middle" => IntegrationRule.RiemannMiddle,
        "riemann_trapezoid" => IntegrationRule.RiemannTrapezoid,
        "riemann_trapezoid_captum" => IntegrationRule.RiemannTrapezoidCaptum,
        _ => IntegrationRule.GaussLegendre,
    };
}

/// <summary>Integration rule of <see cref="IntegratedGradients"/>.</summary>
public enum IntegrationRule
{
    /// <summary>Gauss–Legendre quadrature on [0,1] (Captum's default).</summary>
    GaussLegendre,
    /// <summary>Right Riemann sum: α_k = k/m, weights 1/m.</summary>
    RiemannRight,
    /// <summary>Left Riemann sum: α_k = (k−1)/m.</summary>
    RiemannLeft,
    /// <summary>Midpoint rule: α_k = (k − ½)/m.</summary>
    RiemannMiddle,
    /// <summary>
    /// The textbook trapezoid rule on m points including both ends: α_k = k/(m−1), k = 0 … m−1, weights 1/(m−1) halved at
    /// both ends, summing to 1 (exact for linear integrands). This is not what Captum's rule of the same name does
    /// (<see cref="RiemannTrapezoidCaptum"/>). m = 1 gives the midpoint α = ½, weight 1.
    /// </summary>
    RiemannTrapezoid,
    /// <summary>
    /// Captum's <c>riemann_trapezoid</c> (<c>captum/attr/_utils/approximation_methods.py</c>): the same points
    /// α_k = k/(m−1) (<c>linspace(0, 1, m)</c>) but step sizes 1/m, halved at both ends, so the weights sum to (m−1)/m and
    /// attributions are (m−1)/m of the textbook rule's for the same gradients. Captum requires m ≥ 2.
    /// </summary>
    RiemannTrapezoidCaptum,
}

/// <summary>Baseline of <see cref="IntegratedGradients"/>.</summary>
public enum BaselineKind
{
    /// <summary>All zeros (in model-input space).</summary>
    Zero,
    /// <summary>A black image: the per-channel values supplied in <see cref="IntegratedGradientsOptions.BlackValues"/> (the normalised value of pixel 0), else the per-sample minimum of x.</summary>
    Black,
    /// <summary>Uniform noise U(min x, max x) per sample, seeded.</summary>
    Uniform,
    /// <summary>Gaussian noise N(0, 1), seeded (the alignment seed's random-normal baseline).</summary>
    Gaussian,
    /// <summary>Values from a file (<see cref="IntegratedGradientsOptions.BaselineValues"/>), one C×H×W baseline or one per sample.</summary>
    File,
}

/// <summary>Options of <see cref="IntegratedGradients"/>.</summary>
public sealed record IntegratedGradientsOptions
{
    /// <summary>Number of integration points (Captum default 50).</summary>
    public int Steps { get; init; } = 50;
    /// <summary>Integration rule.</summary>
    public IntegrationRule Rule { get; init; } = IntegrationRule.GaussLegendre;
    /// <summary>Baseline kind.</summary>
    public BaselineKind Baseline { get; init; } = BaselineKind.Zero;
    /// <summary>Per-channel value of a black pixel after preprocessing, when known.</summary>
    public float[]? BlackValues { get; init; }
    /// <summary>Explicit baseline values for <see cref="BaselineKind.File"/>: C·H·W values, or N·C·H·W.</summary>
    public float[]? BaselineValues { get; init; }
}

/// <summary>
/// Integrated gradients (Sundararajan et al., "Axiomatic Attribution for Deep Networks", ICML 2017):
/// a = (x − x′) ⊙ Σ_k w_k ∂y_t/∂x (x′ + α_k (x − x′)), with quadrature points α_k and weights w_k on [0,1]
/// (Gauss–Legendre by default, as Captum). Completeness: Σ a ≈ y_t(x) − y_t(x′). The steps of all samples go through
/// the model as one <see cref="StepBatcher"/> run in calls of the memory budget (steps of consecutive samples share a
/// call: 8 samples × 50 steps at 64 rows per call are 7 calls, not 8).
/// </summary>
public sealed class IntegratedGradients(IntegratedGradientsOptions options) : IExplainer
{
    /// <summary>The options.</summary>
    /// <exception cref="InputDataException">Fewer steps than the rule needs (1; 2 for <see cref="IntegrationRule.RiemannTrapezoidCaptum"/>).</exception>
    public IntegratedGradientsOptions Options { get; } = options.Steps >= (options.Rule == IntegrationRule.RiemannTrapezoidCaptum ? 2 : 1) ? options
        : throw new InputDataException(options.Rule == IntegrationRule.RiemannTrapezoidCaptum
            ? "--ig-rule riemann_trapezoid_captum needs --steps 2 or more (as Captum's riemann_trapezoid)."
            : "--steps must be at least 1 for integrated_gradients.");
    /// <inheritdoc/>
    public string Name => "integrated_gradients";
    /// <inheritdoc/>
    public bool NeedsGradients => true;
    /// <inheritdoc/>
    public bool NeedsLayer => false;
    /// <inheritdoc/>
    public int OutputChannels(int inputChannels, ExplainSettings settings) => ExplainMath.PixelOutputChannels(inputChannels, settings);

    /// <summary>Quadrature points and weights on [0,1] for <paramref name="m"/> steps.</summary>
    public static (double[] Alphas, double[] Weights) Quadrature(IntegrationRule rule, int m)
    {
        if (m < 1) throw new ArgumentOutOfRangeException(nameof(m), "Integrated gradients needs at least one step.");
        var a = new double[m];
        var w = new double[m];
        switch (rule)
        {
            case IntegrationRule.GaussLegendre:
                GaussLegendre(m, a, w);
                break;
            case IntegrationRule.RiemannRight:
                for (int k = 0; k < m; k++) { a[k] = (k + 1.0) / m; w[k] = 1.0 / m; }
                break;
            case IntegrationRule.RiemannLeft:
                for (int k = 0; k < m; k++) { a[k] = (double)k / m; w[k] = 1.0 / m; }
                break;
            case IntegrationRule.RiemannMiddle:
                for (int k = 0; k < m; k++) { a[k] = (k + 0.5) / m; w[k] = 1.0 / m; }
                break;
            case IntegrationRule.RiemannTrapezoid:
                if (m == 1) { a[0] = 0.5; w[0] = 1; break; }
                for (int k = 0; k < m; k++) { a[k] = (double)k / (m - 1); w[k] = (k == 0 || k == m - 1 ? 0.5 : 1.0) / (m - 1); }
                break;
            case IntegrationRule.RiemannTrapezoidCaptum:
                if (m < 2) throw new InputDataException("--ig-rule riemann_trapezoid_captum needs --steps 2 or more (as Captum's riemann_trapezoid).");
                for (int k = 0; k < m; k++) { a[k] = (double)k / (m - 1); w[k] = (k == 0 || k == m - 1 ? 0.5 : 1.0) / m; }
                break;
        }
        return (a, w);
    }

    // Gauss–Legendre nodes by Newton iteration on P_m, mapped from [−1,1] to [0,1] (weights halved).
    private static void GaussLegendre(int m, double[] alphas, double[] weights)
    {
        for (int i = 0; i < m; i++)
        {
            double x = Math.Cos(Math.PI * (i + 0.75) / (m + 0.5));
            double dp = 0;
            for (int iter = 0; iter < 100; iter++)
            {
                double p0 = 1, p1 = x;
                for (int k = 2; k <= m; k++) { double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
                double p = m == 1 ? x : p1;
                double pm1 = m == 1 ? 1 : p0;
                dp = m * (x * p - pm1) / (x * x - 1);
                double dx = p / dp;
                x -= dx;
                if (Math.Abs(dx) < 1e-15) break;
            }
            {
                double p0 = 1, p1 = x;
                for (int k = 2; k <= m; k++) { double p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k; p0 = p1; p1 = p2; }
                double pm1 = m == 1 ? 1 : p0;
                double p = m == 1 ? x : p1;
                dp = m * (x * p - pm1) / (x * x - 1);
            }
            alphas[m - 1 - i] = (x + 1) / 2;
            weights[m - 1 - i] = 1.0 / ((1 - x * x) * dp * dp);
        }
    }

    /// <summary>Fills the baseline of sample <paramref name="index"/>.</summary>
    public void Baseline(ReadOnlySpan<float> x, int index, int channels, Span<float> baseline, int seed)
    {
        int pixels = x.Length / channels;
        switch (Options.Baseline)
        {
            case BaselineKind.Zero: baseline.Clear(); break;
            case BaselineKind.Black:
                if (Options.BlackValues is { } bv)
                {
                    if (bv.Length != channels) throw new InputDataException($"Black baseline has {bv.Length} channel values; the model has {channels} channels.");
                    for (int c = 0; c < channels; c++) baseline.Slice(c * pixels, pixels).Fill(bv[c]);
                }
                else baseline.Fill(TensorPrimitives.Min(x));
                break;
            case BaselineKind.Uniform:
            {
                var rng = new SplitMix(SplitMix.Derive((ulong)seed, index));
                float lo = TensorPrimitives.Min(x), hi = TensorPrimitives.Max(x);
                for (int i = 0; i < baseline.Length; i++) baseline[i] = (float)(lo + (hi - lo) * rng.NextDouble());
                break;
            }
            case BaselineKind.Gaussian:
            {
                var rng = new SplitMix(SplitMix.Derive((ulong)seed, index));
                for (int i = 0; i < baseline.Length; i++) baseline[i] = (float)Noise.StandardNormal(ref rng);
                break;
            }
            case BaselineKind.File:
            {
                var v = Options.BaselineValues ?? throw new InputDataException("--baseline FILE.npy: no baseline values were loaded.");
                if (v.Length == x.Length) v.AsSpan().CopyTo(baseline);
                else if (v.Length % x.Length == 0 && (index + 1) * x.Length <= v.Length) v.AsSpan(index * x.Length, x.Length).CopyTo(baseline);
                else throw new InputDataException($"Baseline file holds {v.Length} values; expected C×H×W = {x.Length} or one baseline per sample.");
                break;
            }
        }
    }

    /// <inheritdoc/>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings)
    {
        var raw = new float[inputs.Length];
        Attribute(model, inputs, batch, targets, raw, settings);
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        int size = c * h * w, outC = OutputChannels(c, settings);
        for (int i = 0; i < batch; i++)
            ExplainMath.Reduce(raw.AsSpan(i * size, size), c, h * w, settings.ChannelReduce, output.Slice(i * outC * h * w, outC * h * w));
    }

    /// <summary>
    /// Per-channel attributions (before channel reduction), batch·C·H·W. The m integration steps of every sample are
    /// one <see cref="StepBatcher"/> run (row = sample·m + step), so steps of consecutive samples share model calls;
    /// each sample's gradients are accumulated in step order, so results do not depend on the batch size.
    /// </summary>
    public void Attribute(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> attributions, ExplainSettings settings)
    {
        var gm = ExplainMath.RequireGradients(model, Name);
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        int size = c * h * w;
        var (alphas, weights) = Quadrature(Options.Rule, Options.Steps);
        int m = alphas.Length;
        var baselines = new float[(long)batch * size];
        var diffs = new float[baselines.Length];
        for (int i = 0; i < batch; i++)
        {
            var x = inputs.Slice(i * size, size);
            var baseline = baselines.AsSpan(i * size, size);
            Baseline(x, (int)(settings.FirstIndex + i), c, baseline, settings.Seed);
            TensorPrimitives.Subtract(x, baseline, diffs.AsSpan(i * size, size));
        }
        var rowTargets = targets.ToArray();
        var acc = new double[size];
        var result = new float[(long)batch * size];
        StepBatcher.Gradients(gm, (long)batch * m, r => rowTargets[r / m],
            (r, row) =>
            {
                int i = (int)(r / m);
                TensorPrimitives.MultiplyAdd(diffs.AsSpan(i * size, size), (float)alphas[r % m], baselines.AsSpan(i * size, size), row);
            },
            (r, g) =>
            {
                int i = (int)(r / m), k = (int)(r % m);
                double wk = weights[k];
                for (int p = 0; p < size; p++) acc[p] += wk * g[p];
                if (k < m - 1) return;
                var diff = diffs.AsSpan(i * size, size);
                var dst = result.AsSpan(i * size, size);
                for (int p = 0; p < size; p++) dst[p] = (float)(diff[p] * acc[p]);
                Array.Clear(acc);
            },
            settings.Budget, ExplainMath.GradientActivationValues(gm));
        result.CopyTo(attributions);
    }
}

/// <summary>Gaussian sampling shared by the stochastic methods.</summary>
public static class Noise
{
    /// <summary>One N(0,1) draw (Box–Muller).</summary>
    public static double StandardNormal(ref SplitMix rng)
    {
        double u1 = 1.0 - rng.NextDouble();
        double u2 = rng.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>Options of <see cref="SmoothGrad"/>.</summary>
/// <param name="NoiseLevel">σ as a fraction of the sample's value range (max − min); Smilkov et al. recommend 0.1–0.2, the alignment seed uses 0.15.</param>
/// <param name="Samples">Noisy samples per input (alignment seed: 25).</param>
/// <param name="Absolute">Average |gradient| (Captum NoiseTunnel over Saliency) rather than the signed gradient.</param>
public sealed record SmoothGradOptions(double NoiseLevel = 0.15, int Samples = 25, bool Absolute = true);

/// <summary>
/// SmoothGrad (Smilkov et al., "SmoothGrad: removing noise by adding noise", 2017): a = (1/n) Σ_k |∂y_t/∂x (x + ε_k)|,
/// ε_k ~ N(0, σ²) with σ = level·(max x − min x), seeded per sample so results do not depend on the batch size. The
/// noisy copies of all samples go through the model as one <see cref="StepBatcher"/> run in calls of the memory budget
/// (copies of consecutive samples share calls; results do not depend on the batch size).
/// </summary>
public sealed class SmoothGrad(SmoothGradOptions options) : IExplainer
{
    /// <summary>The options.</summary>
    public SmoothGradOptions Options { get; } = options;
    /// <inheritdoc/>
    public string Name => "smoothgrad";
    /// <inheritdoc/>
    public bool NeedsGradients => true;
    /// <inheritdoc/>
    public bool NeedsLayer => false;
    /// <inheritdoc/>
    public int OutputChannels(int inputChannels, ExplainSettings settings) => ExplainMath.PixelOutputChannels(inputChannels, settings);

    /// <inheritdoc/>
    /// <remarks>
    /// The m noisy copies of every sample are one <see cref="StepBatcher"/> run (row = sample·m + copy), so copies of
    /// consecutive samples share model calls. Copy k of sample i draws its noise from sample i's stream skipped ahead by
    /// the 2·C·H·W·k draws of the copies before it (two uniform draws per Box–Muller value), so rows can be filled in
    /// parallel and the noise is that of drawing the copies one after another.
    /// </remarks>
    public void Explain(IModel model, ReadOnlySpan<float> inputs, int batch, ReadOnlySpan<int> targets, Span<float> output, ExplainSettings settings)
    {
        var gm = ExplainMath.RequireGradients(model, Name);
        var (c, h, w) = ExplainMath.Geometry(model, inputs, batch, targets);
        int size = c * h * w, outC = OutputChannels(c, settings), m = Math.Max(1, Options.Samples);
        var x = inputs.ToArray();
        var sigmas = new double[batch];
        var seeds = new ulong[batch];
        for (int i = 0; i < batch; i++)
        {
            var xi = x.AsSpan(i * size, size);
            sigmas[i] = Options.NoiseLevel * (TensorPrimitives.Max(xi) - TensorPrimitives.Min(xi));
            seeds[i] = SplitMix.Derive((ulong)settings.Seed, settings.FirstIndex + i);
        }
        var rowTargets = targets.ToArray();
        var acc = new float[size];
        var abs = Options.Absolute ? new float[size] : [];
        var maps = new float[(long)batch * outC * h * w];
        bool absolute = Options.Absolute;
        var reduce = settings.ChannelReduce;
        StepBatcher.Gradients(gm, (long)batch * m, r => rowTargets[r / m],
            (r, row) =>
            {
                int i = (int)(r / m);
                var rng = new SplitMix(seeds[i]);
                rng.Skip(2L * size * (r % m));
                var xi = x.AsSpan(i * size, size);
                double sigma = sigmas[i];
                for (int p = 0; p < size; p++) row[p] = xi[p] + (float)(sigma * Noise.StandardNormal(ref rng));
            },
            (r, g) =>
            {
                int i = (int)(r / m);
                if (absolute)
                {
                    TensorPrimitives.Abs(g, abs);
                    TensorPrimitives.Add(acc, abs, acc);
                }
                else TensorPrimitives.Add(acc, g, acc);
                if (r % m < m - 1) return;
                TensorPrimitives.Divide(acc, m, acc);
                ExplainMath.Reduce(acc, c, h * w, reduce, maps.AsSpan(i * outC * h * w, outC * h * w));
                Array.Clear(acc);
            },
            settings.Budget, ExplainMath.GradientActivationValues(gm));
        maps.CopyTo(output);
    }
}
