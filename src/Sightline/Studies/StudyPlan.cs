using System.Text.Json;
using System.Text.Json.Nodes;
using Sightline.Evaluation;
using Sightline.Metrics;

namespace Sightline.Studies;

/// <summary>One unit of work: a model, a method and a chunk of samples [<see cref="Start"/>, Start + <see cref="Count"/>).</summary>
/// <param name="Id">The unit's id: model-major, then method, then chunk.</param>
/// <param name="Model">Index of the model in the study.</param>
/// <param name="Method">Index of the method.</param>
/// <param name="Start">First sample.</param>
/// <param name="Count">Samples in the unit.</param>
public sealed record StudyUnit(int Id, int Model, int Method, int Start, int Count);

/// <summary>
/// The work of a study: the cross product models × methods × chunks of <see cref="StudyDefinition.Chunk"/> samples,
/// numbered model-major (unit id = (model·methods + method)·chunks + chunk). A shard i of n takes the units whose id is
/// i mod n (round robin, so shards get every model and method and similar work), in id order, so one shard process
/// holds one model at a time. The partition depends only on the study file and n: a re-run or a resubmitted array task
/// computes exactly the units it computed before.
/// </summary>
public sealed class StudyPlan
{
    private StudyPlan(StudyDefinition definition, StudyDataIndex data, IReadOnlyList<IEvaluationMetric> metrics)
    {
        Definition = definition;
        Data = data;
        Metrics = metrics;
        ChunksPerPair = (data.Count + definition.Chunk - 1) / definition.Chunk;
        Units = definition.Models.Count * definition.Methods.Count * ChunksPerPair;
    }

    /// <summary>The study.</summary>
    public StudyDefinition Definition { get; }

    /// <summary>The samples.</summary>
    public StudyDataIndex Data { get; }

    /// <summary>The metrics with their settings bound.</summary>
    public IReadOnlyList<IEvaluationMetric> Metrics { get; }

    /// <summary>Chunks per (model, method).</summary>
    public int ChunksPerPair { get; }

    /// <summary>Work units in the study.</summary>
    public int Units { get; }

    /// <summary>Builds the plan: lists and hashes the data, binds the metrics.</summary>
    /// <exception cref="InputDataException">Data or mask sets that do not fit, metrics that need what the study lacks.</exception>
    public static StudyPlan Create(StudyDefinition definition)
    {
        var metrics = MetricParameters.BindAll(MetricCatalogue.ParseEvaluate(definition.Metrics), definition.Params, "params");
        EvaluationPipeline.CheckNeeds(metrics.Select(m => m.Info), definition.Masks.Count > 0, method: true, model: true);
        var data = StudyDataIndex.Open(definition.Data);
        return new StudyPlan(definition, data, metrics);
    }

    /// <summary>The unit with id <paramref name="id"/>.</summary>
    public StudyUnit Unit(int id)
    {
        int chunk = id % ChunksPerPair, pair = id / ChunksPerPair;
        int method = pair % Definition.Methods.Count, model = pair / Definition.Methods.Count;
        int start = chunk * Definition.Chunk;
        return new StudyUnit(id, model, method, start, Math.Min(Definition.Chunk, Data.Count - start));
    }

    /// <summary>The units of shard <paramref name="shard"/> of <paramref name="shards"/>, in id order.</summary>
    public IEnumerable<StudyUnit> Shard(int shard, int shards)
    {
        for (int id = shard; id < Units; id += shards) yield return Unit(id);
    }

    /// <summary>True for metrics scored against each mask set (the localisation family and metrics that need masks).</summary>
    public static bool UsesMasks(IEvaluationMetric metric) =>
        metric.Info.Family == MetricFamily.Localisation || metric.Info.Needs.HasFlag(MetricNeeds.Masks);

    /// <summary>
    /// The study as canonical JSON (paths relative to the study file's folder, every default spelled out): what the run
    /// signature covers, with <paramref name="withStatistics"/> false; the manifest keeps the full form.
    /// </summary>
    public JsonObject Canonical(bool withStatistics)
    {
        var d = Definition;
        var dir = Path.GetDirectoryName(d.SourcePath)!;
        string Rel(string? p) => p is null ? "" : Path.GetRelativePath(dir, p).Replace('\\', '/');
        var o = new JsonObject
        {
            ["study"] = d.Name,
            ["data"] = new JsonObject { ["images"] = Rel(d.Data.Images), ["inputs"] = Rel(d.Data.Inputs), ["labels"] = Rel(d.Data.Labels), ["limit"] = d.Data.Limit },
            ["masks"] = new JsonArray([.. d.Masks.Select(m => (JsonNode)new JsonObject
            {
                ["name"] = m.Name, ["path"] = Rel(m.Path), ["encoding"] = m.Encoding.ToString().ToLowerInvariant(),
                ["classes"] = m.Classes is null ? null : new JsonArray([.. m.Classes.Select(c => (JsonNode)c)]),
                ["ignore"] = m.OverrideIgnore ? (m.Ignore is { } i ? i.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none") : "default",
                ["resize"] = m.Resize, ["role"] = m.Role, ["per_target"] = m.PerTarget,
            })]),
            ["targets"] = new JsonObject { ["kind"] = d.Targets.Kind.ToString(), ["from"] = d.Targets.From, ["offset"] = d.Targets.Offset },
            ["models"] = new JsonArray([.. d.Models.Select(m => (JsonNode)new JsonObject { ["name"] = m.Name, ["path"] = Rel(m.Path), ["config"] = Rel(m.Config), ["backend"] = m.Backend })]),
            ["methods"] = new JsonArray([.. d.Methods.Select(m => (JsonNode)new JsonObject
            {
                ["name"] = m.Name, ["method"] = m.Method, ["layer"] = m.Layer,
                ["layers"] = new JsonObject(m.Layers.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                ["options"] = new JsonObject(m.Options.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)(kv.Key == "baseline" && StudyMethods.BaselineFile(m) is { } file ? Rel(file) : kv.Value)))),
            })]),
            ["metrics"] = new JsonArray([.. Metrics.Select(m => (JsonNode)new JsonObject
            {
                ["name"] = m.Name,
                ["options"] = new JsonObject(MetricParameters.Describe(m.Options).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            })]),
            ["run"] = new JsonObject { ["chunk"] = d.Chunk, ["seed"] = d.Seed },
        };
        if (withStatistics)
        {
            o["statistics"] = new JsonObject
            {
                ["bootstrap"] = d.Statistics.Bootstrap, ["permutations"] = d.Statistics.Permutations, ["seed"] = d.Statistics.Seed,
                ["class_rank"] = d.Statistics.ClassRank, ["feature_ranking"] = new JsonArray([.. d.Statistics.FeatureRanking.Select(f => (JsonNode)f)]),
            };
            o["run"]!["examples"] = d.Examples;
            o["run"]!["batch_size"] = d.BatchSize;
        }
        return o;
    }

    /// <summary>
    /// The version of how rows are computed for the same study and inputs, part of the signature: bump it when a change
    /// alters rows (v2: CAM, occlusion and RISE methods run on ONNX Runtime even when another method of the study needs
    /// gradients; values differ from v1's TorchSharp ones by float rounding), so a store half-computed by an older
    /// build is refused instead of mixed.
    /// </summary>
    public const int RowsVersion = 2;

    /// <summary>
    /// The run signature: the rows version, the canonical study (without the statistics, which change only the merge) and the content of
    /// every input: each model and its config (<paramref name="loader"/>), the data, every mask file and every
    /// integrated-gradients baseline file. Two runs share
    /// it only when they compute the same rows.
    /// </summary>
    public string Signature(IStudyModelLoader loader)
    {
        var parts = new List<string> { $"rows v{RowsVersion}", Canonical(withStatistics: false).ToJsonString(new JsonSerializerOptions { WriteIndented = false }), Data.Signature };
        parts.AddRange(Definition.Models.Select(loader.Signature));
        foreach (var m in Definition.Methods)
            if (StudyMethods.BaselineFile(m) is { } file) parts.Add($"baseline {m.Name}: {IO.ContentHash.OfFile(file)}");
        foreach (var set in Definition.Masks)
        {
            using var source = new StudyMaskSource(set);
            parts.Add(IO.ContentHash.OfFiles(source.Files.Take(Math.Max(Data.Count, 1))));
        }
        return StudyDataIndex.Hash(string.Join("\n", parts));
    }
}
