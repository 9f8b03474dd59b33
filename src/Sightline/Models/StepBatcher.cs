namespace Sightline.Models;

/// <summary>
/// The one memory budget that sizes model calls, shared by explainers and model-based metrics: rows per call are
/// <see cref="BatchSize"/> when set, else ⌊<see cref="MemoryBudgetBytes"/> / bytes per row⌋ clamped to [1, 256].
/// </summary>
public sealed record ModelBudget
{
    /// <summary>Rows per model call; 0 = automatic from <see cref="MemoryBudgetBytes"/>.</summary>
    public int BatchSize { get; init; }

    /// <summary>Memory budget for one model call when <see cref="BatchSize"/> is automatic (default 256 MiB).</summary>
    public long MemoryBudgetBytes { get; init; } = 256L << 20;

    /// <summary>The default budget (automatic rows, 256 MiB).</summary>
    public static ModelBudget Default { get; } = new();

    /// <summary>
    /// Rows per call for inputs of <paramref name="sampleValues"/> floats each: <see cref="BatchSize"/> when set, else
    /// ⌊budget / bytes per row⌋ clamped to [1, 256], with bytes per row = 4·4·sampleValues (the row, its copy in the
    /// model, the input gradient and a spare) + 2·4·<paramref name="activationValues"/> (the intermediate values a
    /// gradient call keeps for the backward pass and their gradients; 0 for forward-only calls). Measured on ResNet-18 at
    /// 224², integrated gradients peaked at 1.32 GB with input-only accounting; the intermediate values are what grows.
    /// </summary>
    /// <param name="sampleValues">Input floats per row.</param>
    /// <param name="activationValues">Intermediate floats per row of a gradient call (0 for forward passes).</param>
    public int RowsPerCall(int sampleValues, long activationValues = 0)
    {
        if (BatchSize > 0) return BatchSize;
        long perRow = (long)sampleValues * sizeof(float) * 4 + Math.Max(0, activationValues) * sizeof(float) * 2;
        long rows = MemoryBudgetBytes / Math.Max(1, perRow);
        return (int)Math.Clamp(rows, 1, 256);
    }
}

/// <summary>Writes the input of one row (<c>C·H·W</c> floats) of a stepped model run.</summary>
/// <param name="row">The row's index in the run, 0 ≤ row &lt; total rows.</param>
/// <param name="input">Where to write it (its previous content is undefined).</param>
public delegate void RowFill(long row, Span<float> input);

/// <summary>Receives the model output of one row of a stepped model run.</summary>
/// <param name="row">The row's index in the run.</param>
/// <param name="output">Its logits (K floats) or, for gradient runs, its input gradient (C·H·W floats).</param>
public delegate void RowConsume(long row, ReadOnlySpan<float> output);

/// <summary>Called before the rows <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1 of one model call are filled (to prepare data the call's rows share, such as RISE masks).</summary>
/// <param name="first">The call's first row.</param>
/// <param name="count">Rows in the call.</param>
public delegate void CallStart(long first, int count);

/// <summary>Receives the outputs of one layer call of a stepped run: rows <paramref name="first"/> … <paramref name="first"/> + <paramref name="count"/> − 1.</summary>
/// <param name="first">The call's first row.</param>
/// <param name="count">Rows in the call.</param>
/// <param name="activations">count·∏(layer shape) activations.</param>
/// <param name="gradients">count·∏(layer shape) gradients ∂y[target]/∂A, or empty when the run asked for none.</param>
/// <param name="logits">count·K logits.</param>
public delegate void LayerCallConsume(long first, int count, ReadOnlySpan<float> activations, ReadOnlySpan<float> gradients, ReadOnlySpan<float> logits);

/// <summary>
/// Turns "rows to run through the model" (integration steps, perturbed inputs, occlusion windows, masks, noisy copies,
/// the perturbation steps of many samples at once) into model calls sized by one <see cref="ModelBudget"/>. Rows are
/// produced on demand by a <see cref="RowFill"/> (in parallel across cores when rows are large) and their outputs handed
/// to a <see cref="RowConsume"/> in row order, so no caller holds all rows in memory and the number of model calls is
/// ⌈rows / rows per call⌉ whatever the number of samples the rows come from.
/// <para>
/// Variants: <see cref="Forward(IModel, long, RowFill, RowConsume, ModelBudget, CancellationToken)"/> and
/// <see cref="Gradients(IGradientModel, long, Func{long, int}, RowFill, RowConsume, ModelBudget, long, CancellationToken)"/>
/// (rows made on demand, outputs per row); a <see cref="Forward(IModel, long, CallStart, RowFill, RowConsume, ModelBudget, CancellationToken)"/>
/// with a per-call <see cref="CallStart"/> for data a call's rows share (RISE masks); held-rows overloads for rows
/// already in memory (the model reads them in place); <see cref="LayerActivations"/>, which hands whole calls' layer
/// outputs, gradients and logits to a <see cref="LayerCallConsume"/> (CAM methods); and
/// <see cref="ForwardWithLayer"/>, whose rows are an input plus a replacement layer output (Ablation-CAM). Explainers
/// order rows sample-major (row = sample·steps + step; RISE mask-major) and accumulate each sample's outputs in row
/// order, so results do not depend on rows per call. Filling the next call's rows while the model runs (double
/// buffering) is not done: on the 2-core target the model's own threads use both cores.
/// </para>
/// </summary>
public static class StepBatcher
{
    /// <summary>Rows at or above this many floats are filled in parallel.</summary>
    private const int ParallelFillValues = 4096;

    /// <summary>
    /// Runs <paramref name="rows"/> rows through <see cref="IModel.Forward"/>: fills a call's rows, runs the model once on
    /// them, and hands each row's K logits to <paramref name="consume"/> (sequentially, in row order).
    /// </summary>
    /// <returns>The number of model calls made.</returns>
    public static int Forward(IModel model, long rows, RowFill fill, RowConsume consume, ModelBudget budget, CancellationToken cancel = default)
    {
        int size = model.InputShape.Aggregate(1, (a, b) => a * b), k = model.OutputCount;
        return Run(rows, size, k, budget.RowsPerCall(size), fill, consume, cancel,
            (x, n, y) => model.Forward(x, n, y));
    }

    /// <summary>
    /// Runs <paramref name="rows"/> rows through <see cref="IGradientModel.InputGradients"/> with one target per row
    /// (<paramref name="target"/>), handing each row's input gradient (C·H·W floats) to <paramref name="consume"/>; rows
    /// per call count the activations autograd keeps (<paramref name="activationValues"/> per row).
    /// </summary>
    /// <returns>The number of model calls made.</returns>
    public static int Gradients(IGradientModel model, long rows, Func<long, int> target, RowFill fill, RowConsume consume, ModelBudget budget,
        long activationValues, CancellationToken cancel = default)
    {
        int size = model.InputShape.Aggregate(1, (a, b) => a * b), k = model.OutputCount;
        int perCall = budget.RowsPerCall(size, activationValues);
        var targets = new int[(int)Math.Min(rows, perCall)];
        var logits = new float[targets.Length * k];
        long first = 0;
        return Run(rows, size, size, perCall, (r, x) => { fill(r, x); }, consume, cancel, (x, n, y) =>
        {
            for (int j = 0; j < n; j++) targets[j] = target(first + j);
            model.InputGradients(x, n, targets.AsSpan(0, n), y, logits.AsSpan(0, n * k));
            first += n;
        });
    }

    /// <summary>
    /// <see cref="Forward(IModel, long, RowFill, RowConsume, ModelBudget, CancellationToken)"/> with a
    /// <paramref name="prepare"/> step called once per model call, before its rows are filled, with the call's row range:
    /// for rows that share data prepared once per call (RISE: each mask is made once and serves every sample's row).
    /// </summary>
    /// <returns>The number of model calls made.</returns>
    public static int Forward(IModel model, long rows, CallStart prepare, RowFill fill, RowConsume consume, ModelBudget budget, CancellationToken cancel = default)
    {
        int size = model.InputShape.Aggregate(1, (a, b) => a * b), k = model.OutputCount;
        return Run(rows, size, k, budget.RowsPerCall(size), fill, consume, cancel,
            (x, n, y) => model.Forward(x, n, y), prepare);
    }

    /// <summary>
    /// Logits of <paramref name="rows"/> rows already held in memory (<paramref name="inputs"/>, rows·C·H·W values) into
    /// <paramref name="logits"/> (rows·K), in calls of the budget's rows; the model reads the caller's memory directly.
    /// </summary>
    /// <returns>The number of model calls made.</returns>
    public static int Forward(IModel model, ReadOnlySpan<float> inputs, int rows, Span<float> logits, ModelBudget budget)
    {
        int size = model.InputShape.Aggregate(1, (a, b) => a * b), k = model.OutputCount;
        int perCall = Math.Max(1, budget.RowsPerCall(size)), calls = 0;
        for (int start = 0; start < rows; start += perCall, calls++)
        {
            int n = Math.Min(perCall, rows - start);
            model.Forward(inputs.Slice(start * size, n * size), n, logits.Slice(start * k, n * k));
        }
        return calls;
    }

    /// <summary>
    /// Input gradients ∂y[target]/∂x of <paramref name="rows"/> rows already held in memory into
    /// <paramref name="gradients"/> (rows·C·H·W), one target per row, in calls of the budget's rows (counting
    /// <paramref name="activationValues"/> per row, as <see cref="Gradients(IGradientModel, long, Func{long, int}, RowFill, RowConsume, ModelBudget, long, CancellationToken)"/>).
    /// </summary>
    /// <returns>The number of model calls made.</returns>
    public static int Gradients(IGradientModel model, ReadOnlySpan<float> inputs, int rows, ReadOnlySpan<int> targets, Span<float> gradients, ModelBudget budget, long activationValues) =>
        GradientsPerCall(model, inputs, rows, targets, gradients, budget.RowsPerCall(model.InputShape.Aggregate(1, (a, b) => a * b), activationValues));

    /// <summary>The held-rows gradient loop with an explicit number of rows per call.</summary>
    internal static int GradientsPerCall(IGradientModel model, ReadOnlySpan<float> inputs, int rows, ReadOnlySpan<int> targets, Span<float> gradients, int perCall)
    {
        int size = model.InputShape.Aggregate(1, (a, b) => a * b), k = model.OutputCount, calls = 0;
        perCall = Math.Max(1, perCall);
        var logits = new float[Math.Min(rows, perCall) * k];
        for (int start = 0; start < rows; start += perCall, calls++)
        {
            int n = Math.Min(perCall, rows - start);
            model.InputGradients(inputs.Slice(start * size, n * size), n, targets.Slice(start, n), gradients.Slice(start * size, n * size), logits.AsSpan(0, n * k));
        }
        return calls;
    }

    /// <summary>
    /// Runs <paramref name="rows"/> rows through <see cref="IActivationModel.LayerActivations"/> (or, when
    /// <paramref name="target"/> is given, <see cref="IGradientModel.LayerActivations"/> with one target per row, which
    /// also gives ∂y[target]/∂A), handing each call's outputs as a whole to <paramref name="consume"/> (in row order), so
    /// a caller can treat the rows of one call together (CAM methods whose masked or ablated re-runs of several samples
    /// share calls). Rows per call count <paramref name="activationValues"/> intermediate floats per row.
    /// </summary>
    /// <returns>The number of model calls made.</returns>
    public static int LayerActivations(IActivationModel model, string layer, long rows, Func<long, int>? target, RowFill fill, LayerCallConsume consume,
        ModelBudget budget, long activationValues, CancellationToken cancel = default)
    {
        if (rows <= 0) return 0;
        int size = model.InputShape.Aggregate(1, (a, b) => a * b), k = model.OutputCount;
        int layerSize = model.LayerShape(layer).Aggregate(1, (a, b) => a * b);
        var gm = target is null ? null : model as IGradientModel ?? throw new ArgumentException($"Model '{model.Name}' gives no gradients.", nameof(target));
        int capacity = (int)Math.Min(rows, Math.Max(1, budget.RowsPerCall(size, activationValues)));
        var x = new float[(long)capacity * size];
        var act = new float[(long)capacity * layerSize];
        var grad = gm is null ? [] : new float[act.Length];
        var logits = new float[(long)capacity * k];
        var targets = gm is null ? [] : new int[capacity];
        int calls = 0;
        for (long start = 0; start < rows; start += capacity, calls++)
        {
            cancel.ThrowIfCancellationRequested();
            int n = (int)Math.Min(capacity, rows - start);
            Fill(fill, start, n, size, x);
            if (gm is not null)
            {
                for (int j = 0; j < n; j++) targets[j] = target!(start + j);
                gm.LayerActivations(layer, x.AsSpan(0, n * size), n, targets.AsSpan(0, n), act.AsSpan(0, n * layerSize), grad.AsSpan(0, n * layerSize), logits.AsSpan(0, n * k));
                consume(start, n, act.AsSpan(0, n * layerSize), grad.AsSpan(0, n * layerSize), logits.AsSpan(0, n * k));
            }
            else
            {
                model.LayerActivations(layer, x.AsSpan(0, n * size), n, act.AsSpan(0, n * layerSize), logits.AsSpan(0, n * k));
                consume(start, n, act.AsSpan(0, n * layerSize), ReadOnlySpan<float>.Empty, logits.AsSpan(0, n * k));
            }
        }
        return calls;
    }

    /// <summary>
    /// Runs <paramref name="rows"/> rows through <see cref="IGradientModel.ForwardWithLayer"/>: each row is an input
    /// (<paramref name="fillInput"/>, C·H·W floats) and a replacement output of <paramref name="layer"/>
    /// (<paramref name="fillLayer"/>, ∏(layer shape) floats); each row's logits go to <paramref name="consume"/> in row
    /// order. Rows per call are the budget's for rows of max(C·H·W, layer size) floats (Ablation-CAM's ablated copies of
    /// several samples share calls this way).
    /// </summary>
    /// <returns>The number of model calls made.</returns>
    public static int ForwardWithLayer(IGradientModel model, string layer, long rows, RowFill fillInput, RowFill fillLayer, RowConsume consume, ModelBudget budget,
        CancellationToken cancel = default)
    {
        if (rows <= 0) return 0;
        int size = model.InputShape.Aggregate(1, (a, b) => a * b), k = model.OutputCount;
        int layerSize = model.LayerShape(layer).Aggregate(1, (a, b) => a * b);
        int capacity = (int)Math.Min(rows, Math.Max(1, budget.RowsPerCall(Math.Max(size, layerSize))));
        var x = new float[(long)capacity * size];
        var act = new float[(long)capacity * layerSize];
        var logits = new float[(long)capacity * k];
        int calls = 0;
        for (long start = 0; start < rows; start += capacity, calls++)
        {
            cancel.ThrowIfCancellationRequested();
            int n = (int)Math.Min(capacity, rows - start);
            Fill(fillInput, start, n, size, x);
            Fill(fillLayer, start, n, layerSize, act);
            model.ForwardWithLayer(layer, x.AsSpan(0, n * size), act.AsSpan(0, n * layerSize), n, logits.AsSpan(0, n * k));
            for (int j = 0; j < n; j++) consume(start + j, logits.AsSpan(j * k, k));
        }
        return calls;
    }

    private static void Fill(RowFill fill, long start, int n, int size, float[] x)
    {
        if (size >= ParallelFillValues && n > 1)
            Parallel.For(0, n, j => fill(start + j, x.AsSpan(j * size, size)));
        else
            for (int j = 0; j < n; j++) fill(start + j, x.AsSpan(j * size, size));
    }

    /// <summary>Rows per call of <paramref name="model"/> under <paramref name="budget"/> for forward passes.</summary>
    public static int RowsPerCall(IModel model, ModelBudget budget) => budget.RowsPerCall(model.InputShape.Aggregate(1, (a, b) => a * b));

    private delegate void Call(ReadOnlySpan<float> inputs, int n, Span<float> outputs);

    private static int Run(long rows, int size, int outSize, int perCall, RowFill fill, RowConsume consume, CancellationToken cancel, Call call, CallStart? prepare = null)
    {
        if (rows <= 0) return 0;
        int capacity = (int)Math.Min(rows, Math.Max(1, perCall));
        var x = new float[(long)capacity * size];
        var y = new float[(long)capacity * outSize];
        int calls = 0;
        for (long start = 0; start < rows; start += capacity)
        {
            cancel.ThrowIfCancellationRequested();
            int n = (int)Math.Min(capacity, rows - start);
            prepare?.Invoke(start, n);
            Fill(fill, start, n, size, x);
            call(x.AsSpan(0, n * size), n, y.AsSpan(0, n * outSize));
            calls++;
            for (int j = 0; j < n; j++) consume(start + j, y.AsSpan(j * outSize, outSize));
        }
        return calls;
    }
}
