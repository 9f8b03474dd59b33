namespace Sightline.Explainers;

/// <summary>Every option an explainer may take, with the defaults of the papers and libraries cited by each method.</summary>
public sealed record ExplainerOptions
{
    /// <summary>Layer for CAM methods (ONNX node output name).</summary>
    public string? Layer { get; init; }
    /// <summary>Absolute value of gradients for <c>saliency</c> (default on).</summary>
    public bool SaliencyAbsolute { get; init; } = true;
    /// <summary>Integrated gradients options.</summary>
    public IntegratedGradientsOptions IntegratedGradients { get; init; } = new();
    /// <summary>SmoothGrad options.</summary>
    public SmoothGradOptions SmoothGrad { get; init; } = new();
    /// <summary>Occlusion options.</summary>
    public OcclusionOptions Occlusion { get; init; } = new();
    /// <summary>RISE options.</summary>
    public RiseOptions Rise { get; init; } = new();
}

/// <summary>The attribution methods by their literature names (the CLI's <c>--method</c> values).</summary>
public static class ExplainerCatalog
{
    /// <summary>All method names.</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "saliency", "input_x_gradient", "integrated_gradients", "smoothgrad",
        "gradcam", "gradcam_plus_plus", "xgradcam", "layercam", "eigencam", "scorecam", "ablationcam",
        "occlusion", "rise",
    ];

    /// <summary>Names of the methods that need a layer.</summary>
    public static IReadOnlyList<string> CamNames { get; } = ["gradcam", "gradcam_plus_plus", "xgradcam", "layercam", "eigencam", "scorecam", "ablationcam"];

    /// <summary>Builds the method called <paramref name="name"/>.</summary>
    /// <exception cref="InputDataException">Unknown name (the message lists the known ones) or a CAM method without a layer.</exception>
    public static IExplainer Create(string name, ExplainerOptions options)
    {
        string Layer() => options.Layer ?? throw new InputDataException($"Method '{name}' needs --layer NAME (see 'sightline explain --list-layers').");
        return name.ToLowerInvariant() switch
        {
            "saliency" => new Saliency(options.SaliencyAbsolute),
            "input_x_gradient" => new InputXGradient(),
            "integrated_gradients" => new IntegratedGradients(options.IntegratedGradients),
            "smoothgrad" => new SmoothGrad(options.SmoothGrad),
            "gradcam" => new GradCam(Layer()),
            "gradcam_plus_plus" => new GradCamPlusPlus(Layer()),
            "xgradcam" => new XGradCam(Layer()),
            "layercam" => new LayerCam(Layer()),
            "eigencam" => new EigenCam(Layer()),
            "scorecam" => new ScoreCam(Layer()),
            "ablationcam" => new AblationCam(Layer()),
            "occlusion" => new Occlusion(options.Occlusion),
            "rise" => new Rise(options.Rise),
            _ => throw new InputDataException($"Unknown method '{name}'. Known methods: {string.Join(", ", Names)}."),
        };
    }
}
