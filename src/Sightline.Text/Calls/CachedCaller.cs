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

    /// <summary>Counts a cache hit made outside <see cref="GetAsync"/> (batched local models look up the cache themselves).</summary>
    public void CountHit() => Interlocked.Increment(ref _hits);

    /// <summary>Counts a model call made outside <see cref="GetAsync"/>.</summary>
    public void CountCall() => Interlocked.Increment(ref _calls);

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
