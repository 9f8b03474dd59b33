using System.Collections.Concurrent;

namespace Sightline.Text.Calls;

/// <summary>
/// Routes calls through an <see cref="ICallCache"/> and counts them: <see cref="Calls"/> (made), <see cref="Hits"/>
/// (replayed from the cache). Identical calls in flight at the same time are made once.
/// </summary>
public sealed class CachedCaller(ICallCache cache)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> _inFlight = new(StringComparer.Ordinal);
    private long _calls, _hits;

    /// <summary>The cache.</summary>
    public ICallCache Cache { get; } = cache;

    /// <summary>Calls made to a model (cache misses).</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Calls answered by the cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>The cached reply for <paramref name="key"/>, else the reply of <paramref name="call"/>, stored.</summary>
    public async Task<string> GetAsync(string key, Func<Task<string>> call)
    {
        if (Cache.TryGet(key, out var cached))
        {
            Interlocked.Increment(ref _hits);
            return cached;
        }
        var lazy = _inFlight.GetOrAdd(key, k => new Lazy<Task<string>>(async () =>
        {
            // An identical call may have completed (and left the in-flight table) since the lookup above.
            if (Cache.TryGet(k, out var late)) { Interlocked.Increment(ref _hits); return late; }
            Interlocked.Increment(ref _calls);
            var value = await call().ConfigureAwait(false);
            Cache.Put(k, value);
            return value;
        }));
        try { return await lazy.Value.ConfigureAwait(false); }
        finally { _inFlight.TryRemove(new KeyValuePair<string, Lazy<Task<string>>>(key, lazy)); }
    }

    /// <summary>
    /// The one cache-lookup / de-duplication / batching loop of every batched vector model (MiniLM, OpenAI embeddings, ONNX
    /// text classifiers): each text is looked up under <paramref name="keyOf"/>(text); the distinct texts not in the cache
    /// are computed by <paramref name="compute"/> in batches of at most <paramref name="batchSize"/> (input order), each
    /// result counted as one call and stored (float32, base64) before the next batch starts, so a killed run keeps every
    /// finished batch; hits are counted too. Returns one vector per text (repeated texts share one array).
    /// </summary>
    /// <param name="texts">The inputs.</param>
    /// <param name="keyOf">The <see cref="CallKey"/> of one text.</param>
    /// <param name="batchSize">Texts per <paramref name="compute"/> call (≥ 1).</param>
    /// <param name="compute">Computes the vectors of one batch, in order.</param>
    /// <param name="cancel">Checked before every batch.</param>
    public async Task<float[][]> GetVectorsAsync(IReadOnlyList<string> texts, Func<string, string> keyOf, int batchSize,
        Func<IReadOnlyList<string>, CancellationToken, Task<float[][]>> compute, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var result = new float[texts.Count][];
        var keys = new string[texts.Count];
        var missing = new List<int>();
        for (int i = 0; i < texts.Count; i++)
        {
            keys[i] = keyOf(texts[i]);
            if (Cache.TryGet(keys[i], out var hit)) { result[i] = FromBase64(hit); Interlocked.Increment(ref _hits); }
            else missing.Add(i);
        }
        // Distinct missing texts only (a target and repeated replies are computed once).
        var unique = missing.GroupBy(i => texts[i], StringComparer.Ordinal).Select(g => g.ToArray()).ToList();
        for (int start = 0; start < unique.Count; start += batchSize)
        {
            cancel.ThrowIfCancellationRequested();
            var batch = unique.GetRange(start, Math.Min(batchSize, unique.Count - start));
            var vectors = await compute([.. batch.Select(g => texts[g[0]])], cancel).ConfigureAwait(false);
            if (vectors.Length != batch.Count)
                throw new InvalidOperationException($"a batched model returned {vectors.Length} results for {batch.Count} inputs");
            for (int b = 0; b < batch.Count; b++)
            {
                Interlocked.Increment(ref _calls);
                Cache.Put(keys[batch[b][0]], ToBase64(vectors[b]));
                foreach (int i in batch[b]) result[i] = vectors[b];
            }
        }
        return result;
    }

    /// <summary><see cref="GetVectorsAsync"/> for a synchronous local model.</summary>
    public float[][] GetVectors(IReadOnlyList<string> texts, Func<string, string> keyOf, int batchSize, Func<IReadOnlyList<string>, float[][]> compute,
        CancellationToken cancel = default) =>
        GetVectorsAsync(texts, keyOf, batchSize, (batch, _) => Task.FromResult(compute(batch)), cancel).GetAwaiter().GetResult();

    internal static string ToBase64(float[] v) => Convert.ToBase64String(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));

    internal static float[] FromBase64(string s)
    {
        var bytes = Convert.FromBase64String(s);
        var v = new float[bytes.Length / 4];
        bytes.AsSpan().CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));
        return v;
    }

    /// <summary>Synchronous variant for local models.</summary>
    public string Get(string key, Func<string> call)
    {
        if (Cache.TryGet(key, out var cached))
        {
            Interlocked.Increment(ref _hits);
            return cached;
        }
        Interlocked.Increment(ref _calls);
        var value = call();
        Cache.Put(key, value);
        return value;
    }
}
