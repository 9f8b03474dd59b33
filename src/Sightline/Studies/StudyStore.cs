using System.Text.Json;
using System.Text.Json.Nodes;
using Sightline.IO;

namespace Sightline.Studies;

/// <summary>The manifest of a study's run store (<c>DIR/manifest.json</c>).</summary>
/// <param name="Format">Store format version.</param>
/// <param name="Study">The study's name.</param>
/// <param name="Signature">The run signature (study file and inputs).</param>
/// <param name="StudyFile">Where the study file was.</param>
/// <param name="Samples">Samples in the study.</param>
/// <param name="Units">Work units.</param>
/// <param name="Chunk">Samples per unit.</param>
/// <param name="Models">Model names in order.</param>
/// <param name="Methods">Method names in order.</param>
/// <param name="MaskSets">Mask set names in order.</param>
/// <param name="MaskRoles">Each mask set's role (object or spurious).</param>
/// <param name="Metrics">Metric names in order.</param>
/// <param name="Targets">The target rule.</param>
/// <param name="Definition">The canonical study, statistics included.</param>
public sealed record StudyManifest(int Format, string Study, string Signature, string StudyFile, int Samples, int Units, int Chunk,
    IReadOnlyList<string> Models, IReadOnlyList<string> Methods, IReadOnlyList<string> MaskSets, IReadOnlyList<string> MaskRoles,
    IReadOnlyList<string> Metrics, string Targets, JsonObject Definition);

/// <summary>
/// A study's run store under <c>DIR</c>: <c>manifest.json</c> (the study, its signature and its units) and append-only
/// Parquet chunks, one file per finished unit, <c>chunks/SIG/u000123.parquet</c> (SIG = the signature's first 16
/// characters). A unit's file is written to a temporary name and renamed when complete, so it exists whole or not at
/// all: a run killed anywhere (kill -9) loses only the units in flight, and a re-run computes exactly the missing ones
/// (nothing duplicated, since a unit has one file name). Shards of one study share the folder (a shared file system for
/// a Slurm array): each writes only its own units. A store of another signature (a changed study file or input) is
/// refused unless forced, which discards it; chunks of one signature never mix with another's.
/// </summary>
public sealed class StudyStore
{
    /// <summary>The store format.</summary>
    public const int FormatVersion = 1;

    private StudyStore(string dir, StudyManifest manifest)
    {
        Directory = Path.GetFullPath(dir);
        Manifest = manifest;
    }

    /// <summary>The store's folder.</summary>
    public string Directory { get; }

    /// <summary>The manifest.</summary>
    public StudyManifest Manifest { get; }

    /// <summary>The folder of this signature's chunks.</summary>
    public string ChunkDirectory => ChunkFolder(Directory, Manifest.Signature);

    /// <summary>The folder of this signature's example maps.</summary>
    public string ExampleDirectory => Path.Combine(Directory, "examples", Manifest.Signature[..16]);

    /// <summary>The chunk folder of a store and signature.</summary>
    public static string ChunkFolder(string dir, string signature) => Path.Combine(Path.GetFullPath(dir), "chunks", signature[..16]);

    /// <summary>The chunk file of unit <paramref name="unit"/>.</summary>
    public string ChunkPath(int unit) => Path.Combine(ChunkDirectory, $"u{unit:D6}.parquet");

    /// <summary>True when unit <paramref name="unit"/> is stored.</summary>
    public bool IsDone(int unit) => File.Exists(ChunkPath(unit));

    /// <summary>The manifest file of a store.</summary>
    public static string ManifestPath(string dir) => Path.Combine(dir, "manifest.json");

    /// <summary>
    /// Opens (or creates) the store of <paramref name="plan"/> under <paramref name="dir"/>. A manifest of another
    /// signature is refused unless <paramref name="force"/>, which removes that run's chunks; with the same signature
    /// the manifest is rewritten only when the statistics or example settings changed.
    /// </summary>
    /// <exception cref="InputDataException">The folder holds another study or inputs (without force), or is not writable.</exception>
    public static StudyStore Open(string dir, StudyPlan plan, string signature, bool force)
    {
        var d = plan.Definition;
        var manifest = new StudyManifest(FormatVersion, d.Name, signature, d.SourcePath, plan.Data.Count, plan.Units, d.Chunk,
            [.. d.Models.Select(m => m.Name)], [.. d.Methods.Select(m => m.Name)], [.. d.Masks.Select(m => m.Name)], [.. d.Masks.Select(m => m.Role)],
            [.. plan.Metrics.Select(m => m.Name)], d.Targets.Kind.ToString(), plan.Canonical(withStatistics: true));
        var path = ManifestPath(dir);
        // Read once: the shards of an array start together, and another may create the manifest between two checks.
        var current = ReadOrNull(path);
        if (current is not null && Parse(current) is { } existing)
        {
            if (existing.Signature != signature)
            {
                if (!force)
                    throw new InputDataException($"{Path.GetFullPath(dir)} holds a run of {(existing.Study == d.Name ? $"study '{d.Name}' with other settings or inputs" : $"another study ('{existing.Study}')")} (signature {existing.Signature[..16]}, this one {signature[..16]}); give another --out, or --force to discard it.");
                TryDeleteFolder(ChunkFolder(dir, existing.Signature));
                TryDeleteFolder(Path.Combine(dir, "examples", existing.Signature[..16]));
            }
        }
        else if (current is not null && !force)
            throw new InputDataException($"{path} is not a readable study manifest; give another --out, or --force to start afresh.");
        var store = new StudyStore(dir, manifest);
        var text = Serialize(manifest);
        if (current != text) AtomicFile.WriteAllText(path, text);
        System.IO.Directory.CreateDirectory(store.ChunkDirectory);
        return store;
    }

    /// <summary>Reads the manifest of <paramref name="dir"/>, or null when there is none or it cannot be read.</summary>
    public static StudyManifest? TryRead(string dir) => ReadOrNull(ManifestPath(dir)) is { } text ? Parse(text) : null;

    /// <summary>The manifest's text, or null when there is no file (it is written by an atomic rename: a reader sees all of it or none).</summary>
    private static string? ReadOrNull(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { return null; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InputDataException($"{path}: cannot read the study manifest ({e.Message}); check the folder's permissions, or give another --out.", e);
        }
    }

    /// <summary>The manifest in <paramref name="text"/>, or null when it is not one of this format.</summary>
    private static StudyManifest? Parse(string text)
    {
        try
        {
            var o = JsonNode.Parse(text) as JsonObject;
            if (o is null || (int?)o["format"] != FormatVersion) return null;
            static IReadOnlyList<string> List(JsonNode? n) => [.. (n as JsonArray ?? []).Select(x => (string)x!)];
            return new StudyManifest((int)o["format"]!, (string)o["study"]!, (string)o["signature"]!, (string)o["study_file"]!, (int)o["samples"]!, (int)o["units"]!,
                (int)o["chunk"]!, List(o["models"]), List(o["methods"]), List(o["mask_sets"]), List(o["mask_roles"]), List(o["metrics"]), (string)o["targets"]!,
                (JsonObject)o["definition"]!.DeepClone());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException or IOException) { return null; }
    }

    /// <summary>Reads the manifest of a finished or running store.</summary>
    /// <exception cref="InputDataException">No manifest, or an unreadable one.</exception>
    public static StudyStore Read(string dir)
    {
        if (!System.IO.Directory.Exists(dir)) throw new InputDataException($"{dir}: no such study folder; give the --out folder of 'sightline study run'.");
        var manifest = TryRead(dir) ?? throw new InputDataException($"{ManifestPath(dir)}: {(File.Exists(ManifestPath(dir)) ? "not a readable study manifest" : "not found")}; give the --out folder of 'sightline study run'.");
        return new StudyStore(dir, manifest);
    }

    /// <summary>The ids of the stored units.</summary>
    public IReadOnlyList<int> DoneUnits()
    {
        if (!System.IO.Directory.Exists(ChunkDirectory)) return [];
        var ids = new List<int>();
        foreach (var f in System.IO.Directory.EnumerateFiles(ChunkDirectory, "u*.parquet"))
            if (int.TryParse(Path.GetFileNameWithoutExtension(f).AsSpan(1), out var id) && id < Manifest.Units) ids.Add(id);
        ids.Sort();
        return ids;
    }

    /// <summary>Removes the temporary files a killed run left for <paramref name="units"/> (only this shard's units: other shards may be writing theirs).</summary>
    public void RemoveStale(IEnumerable<int> units)
    {
        var mine = new HashSet<string>(units.Select(u => $".u{u:D6}.parquet."));
        foreach (var f in System.IO.Directory.EnumerateFiles(ChunkDirectory, ".u*.tmp"))
        {
            var name = Path.GetFileName(f);
            if (name.Length > 16 && mine.Contains(name[..17])) TryDelete(f);
        }
    }

    /// <summary>Deletes the chunk of <paramref name="unit"/> (forced recomputation).</summary>
    public void Delete(int unit) => TryDelete(ChunkPath(unit));

    private static string Serialize(StudyManifest m)
    {
        var o = new JsonObject
        {
            ["format"] = m.Format, ["study"] = m.Study, ["signature"] = m.Signature, ["study_file"] = m.StudyFile, ["samples"] = m.Samples,
            ["units"] = m.Units, ["chunk"] = m.Chunk,
            ["models"] = new JsonArray([.. m.Models.Select(x => (JsonNode)x)]), ["methods"] = new JsonArray([.. m.Methods.Select(x => (JsonNode)x)]),
            ["mask_sets"] = new JsonArray([.. m.MaskSets.Select(x => (JsonNode)x)]), ["mask_roles"] = new JsonArray([.. m.MaskRoles.Select(x => (JsonNode)x)]),
            ["metrics"] = new JsonArray([.. m.Metrics.Select(x => (JsonNode)x)]), ["targets"] = m.Targets,
            ["chunks"] = $"chunks/{m.Signature[..16]}/u*.parquet",
            ["definition"] = m.Definition.DeepClone(),
        };
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static void TryDelete(string f)
    {
        try { File.Delete(f); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static void TryDeleteFolder(string d)
    {
        try { if (System.IO.Directory.Exists(d)) System.IO.Directory.Delete(d, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
