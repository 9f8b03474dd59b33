using Sightline.Models;

namespace Sightline.Onnx.Graph;

/// <summary>
/// A final Softmax or LogSoftmax node of a classifier (typical of TensorFlow and ML.NET exports). Both back ends expose
/// its input z as the logits, so p = softmax(z) is computed once (not softmax(softmax(z))) and gradient methods
/// differentiate z_t, as pytorch-grad-cam and Captum do on a PyTorch classifier's logits.
/// </summary>
/// <param name="Logits">The Softmax input: the tensor exposed instead of the graph output.</param>
/// <param name="Kind">Which operator was stripped.</param>
/// <param name="Axis">The node's axis attribute (with the opset's default).</param>
/// <param name="Coerced">True for opsets below 13, where the input is flattened to 2-D at <paramref name="Axis"/>.</param>
public sealed record SoftmaxHead(string Logits, ModelOutputKind Kind, long Axis, bool Coerced)
{
    /// <summary>The head of <paramref name="model"/>'s first output, or null when it is not produced by Softmax/LogSoftmax.</summary>
    public static SoftmaxHead? Find(OnnxModelProto model)
    {
        if (model.Graph.Outputs.Count == 0) return null;
        var node = model.Graph.Producer(model.Graph.Outputs[0].Name);
        if (node is null || node.Domain.Length > 0 || node.Inputs.Count < 1 || node.Inputs[0].Length == 0) return null;
        var kind = node.OpType switch
        {
            "Softmax" => ModelOutputKind.Softmax,
            "LogSoftmax" => ModelOutputKind.LogSoftmax,
            _ => (ModelOutputKind?)null,
        };
        if (kind is null) return null;
        long opset = model.OpsetVersion > 0 ? model.OpsetVersion : 13;
        bool coerced = opset < 13;
        return new SoftmaxHead(node.Inputs[0], kind.Value, node.GetInt("axis", coerced ? 1 : -1), coerced);
    }

    /// <summary>
    /// True when the node normalises over all K class scores of each sample, given the per-sample dims of its output:
    /// opsets &lt; 13 flatten from the axis, so axis 1 covers every per-sample value; opsets ≥ 13 normalise one axis,
    /// which covers the classes when every other per-sample axis has size 1.
    /// </summary>
    public bool IsOverClasses(IReadOnlyList<long> perSampleDims)
    {
        int rank = perSampleDims.Count + 1;
        long a = Axis < 0 ? Axis + rank : Axis;
        if (a < 1 || a >= rank) return false;
        if (Coerced) return a == 1;
        for (int i = 0; i < perSampleDims.Count; i++)
            if (i != a - 1 && perSampleDims[i] != 1) return false;
        return true;
    }
}
