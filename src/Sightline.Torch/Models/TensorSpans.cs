using Sightline.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace Sightline.Torch.Models;

/// <summary>Copies between caller-owned float spans and TorchSharp tensors, with the checks every model needs.</summary>
internal static class TensorSpans
{
    /// <summary>A float32 tensor of shape [batch, ..perSample] holding <paramref name="values"/>.</summary>
    public static Tensor FromSpan(ReadOnlySpan<float> values, int batch, IReadOnlyList<int> perSample, string what)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "The batch must hold at least one sample.");
        long size = perSample.Aggregate(1L, (a, b) => a * b);
        if (values.Length != batch * size)
            throw new ArgumentException($"{what} holds {values.Length} values; {batch} samples of shape ({string.Join(", ", perSample)}) need {batch * size}.");
        var dims = new long[perSample.Count + 1];
        dims[0] = batch;
        for (int i = 0; i < perSample.Count; i++) dims[i + 1] = perSample[i];
        return tensor(values.ToArray(), dims, ScalarType.Float32);
    }

    /// <summary>Copies all values of <paramref name="t"/> (any layout, converted to float32) into <paramref name="destination"/>.</summary>
    public static void CopyTo(Tensor t, Span<float> destination, string what)
    {
        if (t.numel() != destination.Length)
            throw new ArgumentException($"{what} has {t.numel()} values (shape ({string.Join(", ", t.shape)})) but the destination holds {destination.Length}.");
        using var flat = t.detach().to_type(ScalarType.Float32).contiguous();
        flat.data<float>().ToArray().AsSpan().CopyTo(destination);
    }

    /// <summary>Σ_i y[i, target_i] over a batch of logits [N, K].</summary>
    public static Tensor SelectTargets(Tensor logits, ReadOnlySpan<int> targets, int batch, int classes)
    {
        if (targets.Length != batch) throw new ArgumentException($"{targets.Length} targets for {batch} samples; give one target per sample.");
        var index = new long[batch];
        for (int i = 0; i < batch; i++)
        {
            if ((uint)targets[i] >= (uint)classes) throw new ArgumentOutOfRangeException(nameof(targets), targets[i], $"Target of sample {i} is outside 0..{classes - 1}.");
            index[i] = targets[i];
        }
        return logits.reshape(batch, classes).gather(1, tensor(index, [batch, 1L], ScalarType.Int64)).sum();
    }

    /// <summary>
    /// The message for an unknown layer: a few names containing the requested text (case-insensitive), else the
    /// nearest by edit distance.
    /// </summary>
    public static InputDataException UnknownLayer(string layer, string model, IReadOnlyList<LayerInfo> layers) => LayerNames.Unknown(layer, model, layers);
}
