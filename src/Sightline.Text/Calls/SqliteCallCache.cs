using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace Sightline.Text.Calls;

/// <summary>
/// A persistent, content-addressed cache of model calls in a SQLite database (<c>DIR/calls.sqlite</c>, WAL journal):
/// each reply is committed as soon as it arrives, so a rerun costs no calls and a killed run resumes where it stopped
/// (whatever completed is replayed). Keys are <see cref="CallKey"/> hashes, so different endpoints, models, parameters,
/// messages or draws never mix. One connection, serialised by a lock (SQLite connections are not thread-safe).
/// </summary>
public sealed class SqliteCallCache : ICallCache
{
    private readonly SqliteConnection _connection;
    private readonly Lock _lock = new();

    /// <summary>Opens (creating if needed) the cache in folder <paramref name="directory"/>.</summary>
    public SqliteCallCache(string directory)
    {
        if (File.Exists(directory))
            throw new InputDataException($"--cache {directory}: is a file, not a folder; give a folder (calls.sqlite is created in it).");
        try
        {
            Directory.CreateDirectory(directory);
            Location = Path.Combine(directory, "calls.sqlite");
            _connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Location, Pooling = false }.ToString());
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL;");
            Execute("PRAGMA synchronous=NORMAL;");
            Execute("PRAGMA busy_timeout=10000;");
            Execute("CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, value TEXT NOT NULL, created TEXT NOT NULL);");
        }
        catch (SqliteException ex)
        {
            throw new InputDataException($"--cache {directory}: cannot open the call cache ({ex.Message.TrimEnd('.')}); give a writable folder, or delete a damaged calls.sqlite there.", ex);
        }
    }

    /// <inheritdoc/>
    public string Location { get; }

    /// <summary>Number of stored replies.</summary>
    public long Count
    {
        get
        {
            lock (_lock)
            {
                using var c = _connection.CreateCommand();
                c.CommandText = "SELECT COUNT(*) FROM calls;";
                return (long)c.ExecuteScalar()!;
            }
        }
    }

    /// <inheritdoc/>
    public bool TryGet(string key, [NotNullWhen(true)] out string? value)
    {
        lock (_lock)
        {
            using var c = _connection.CreateCommand();
            c.CommandText = "SELECT value FROM calls WHERE key = $k;";
            c.Parameters.AddWithValue("$k", key);
            value = c.ExecuteScalar() as string;
            return value is not null;
        }
    }

    /// <inheritdoc/>
    public void Put(string key, string value)
    {
        lock (_lock)
        {
            using var c = _connection.CreateCommand();
            c.CommandText = "INSERT OR REPLACE INTO calls (key, value, created) VALUES ($k, $v, $t);";
            c.Parameters.AddWithValue("$k", key);
            c.Parameters.AddWithValue("$v", value);
            c.Parameters.AddWithValue("$t", DateTime.UtcNow.ToString("O"));
            try { c.ExecuteNonQuery(); }
            catch (SqliteException ex)
            {
                throw new IOException($"{Location}: cannot store a model reply ({ex.Message.TrimEnd('.')})", ex);
            }
        }
    }

    private void Execute(string sql)
    {
        using var c = _connection.CreateCommand();
        c.CommandText = sql;
        c.ExecuteNonQuery();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_lock) _connection.Dispose();
    }
}
