using System.Collections.Concurrent;
using System.Text;

namespace Sightline.Text.Lexicon;

/// <summary>WordNet's parts of speech.</summary>
public enum WordNetPos
{
    /// <summary>index.noun / data.noun.</summary>
    Noun,
    /// <summary>index.verb / data.verb.</summary>
    Verb,
    /// <summary>index.adj / data.adj (heads and satellites).</summary>
    Adjective,
    /// <summary>index.adv / data.adv.</summary>
    Adverb,
}

/// <summary>
/// A managed reader of the WordNet 3.0 database files (Miller 1995; Fellbaum 1998; format in wndb(5WN)) as Debian's
/// <c>wordnet-base</c> installs them in <c>/usr/share/wordnet</c>: the index files give which lemmas exist per part of
/// speech, the exception lists and detachment rules of WordNet's <c>morphy</c> map inflected forms to lemmas, and the
/// data files give lexical antonym pointers ("!"), with adjective satellites reaching the antonyms of their head synset
/// through "similar to" ("&amp;"), as WordNet's indirect antonyms. Index files load lazily, once per process.
/// </summary>
public sealed class WordNet
{
    /// <summary>Where Debian's wordnet-base puts the database.</summary>
    public const string DebianLocation = "/usr/share/wordnet";

    private static readonly ConcurrentDictionary<string, WordNet> Opened = new(StringComparer.Ordinal);
    private readonly string _dir;
    private readonly Lazy<Dictionary<string, string[]>>[] _exceptions;
    private readonly Lazy<Dictionary<string, long[]>>[] _offsets;

    private static readonly string[] Suffix = ["noun", "verb", "adj", "adv"];

    private static readonly (string From, string To)[][] Detachment =
    [
        [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"), ("ies", "y")],
        [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")],
        [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
        [],
    ];

    private WordNet(string dir)
    {
        _dir = dir;
        _offsets = [.. Enumerable.Range(0, 4).Select(p => new Lazy<Dictionary<string, long[]>>(() => LoadIndex(p)))];
        _exceptions = [.. Enumerable.Range(0, 4).Select(p => new Lazy<Dictionary<string, string[]>>(() => LoadExceptions(p)))];
    }

    /// <summary>
    /// The database in <paramref name="directory"/> (default: <c>$SIGHTLINE_WORDNET</c>, else <see cref="DebianLocation"/>).
    /// Throws <see cref="InputDataException"/> naming the folder when its index files are missing.
    /// </summary>
    public static WordNet Open(string? directory = null)
    {
        var dir = directory ?? (Environment.GetEnvironmentVariable("SIGHTLINE_WORDNET") is { Length: > 0 } e ? e : DebianLocation);
        if (File.Exists(dir))
            throw new InputDataException($"--wordnet {dir}: is a file, not a folder; give the WordNet database folder (the one holding index.noun, e.g. /usr/share/wordnet).");
        if (!File.Exists(Path.Combine(dir, "index.noun")))
            throw new InputDataException($"WordNet not found in {dir} (no index.noun): install the Debian package wordnet-base (apt-get install wordnet-base), or give --wordnet DIR or SIGHTLINE_WORDNET.");
        return Opened.GetOrAdd(Path.GetFullPath(dir), d => new WordNet(d));
    }

    /// <summary>The database folder.</summary>
    public string Folder => _dir;

    /// <summary>The database files this reader reads (index, data and exception list of each part of speech), for run signatures.</summary>
    public IEnumerable<string> Files =>
        Suffix.SelectMany(x => new[] { $"index.{x}", $"data.{x}", $"{x}.exc" }).Select(f => Path.Combine(_dir, f)).Where(File.Exists);

    /// <summary>Whether WordNet is installed where <see cref="Open"/> looks by default.</summary>
    public static bool Available(string? directory = null) =>
        File.Exists(Path.Combine(directory ?? (Environment.GetEnvironmentVariable("SIGHTLINE_WORDNET") is { Length: > 0 } e ? e : DebianLocation), "index.noun"));

    /// <summary>The lemmas of <paramref name="word"/> (lower-cased; spaces as '_') in <paramref name="pos"/> found by morphy.</summary>
    public IReadOnlyList<string> Lemmas(string word, WordNetPos pos)
    {
        var w = word.ToLowerInvariant().Replace(' ', '_');
        var index = _offsets[(int)pos].Value;
        var found = new List<string>();
        if (_exceptions[(int)pos].Value.TryGetValue(w, out var bases))
            foreach (var b in bases) if (index.ContainsKey(b) && !found.Contains(b)) found.Add(b);
        if (index.ContainsKey(w) && !found.Contains(w)) found.Add(w);
        foreach (var (from, to) in Detachment[(int)pos])
            if (w.Length > from.Length && w.EndsWith(from, StringComparison.Ordinal))
            {
                var b = w[..^from.Length] + to;
                if (index.ContainsKey(b) && !found.Contains(b)) found.Add(b);
            }
        return found;
    }

    /// <summary>Whether <paramref name="word"/> (or a base form of it) is a lemma of <paramref name="pos"/>.</summary>
    public bool Has(string word, WordNetPos pos) => Lemmas(word, pos).Count > 0;

    /// <summary>
    /// Antonyms of <paramref name="word"/> in sense order: direct lexical antonyms of every sense, then (adjective
    /// satellites) the antonyms of the head adjective reached by "similar to". Lemmas as in the data file ('_' for spaces).
    /// </summary>
    public IReadOnlyList<string> Antonyms(string word, WordNetPos pos)
    {
        var result = new List<string>();
        foreach (var lemma in Lemmas(word, pos))
        {
            if (!_offsets[(int)pos].Value.TryGetValue(lemma, out var offsets)) continue;
            foreach (long offset in offsets)
            {
                var synset = ReadSynset(pos, offset);
                int source = synset.Words.FindIndex(x => string.Equals(x, lemma, StringComparison.OrdinalIgnoreCase)) + 1;
                foreach (var p in synset.Pointers.Where(p => p.Symbol == "!" && (p.Source == 0 || p.Source == source)))
                    Add(result, ReadSynset(p.Pos, p.Offset).Words[p.Target - 1]);
                if (pos == WordNetPos.Adjective && synset.Type == 's')
                    foreach (var head in synset.Pointers.Where(p => p.Symbol == "&"))
                    {
                        var h = ReadSynset(WordNetPos.Adjective, head.Offset);
                        foreach (var p in h.Pointers.Where(p => p.Symbol == "!"))
                            Add(result, ReadSynset(p.Pos, p.Offset).Words[Math.Max(p.Target, 1) - 1]);
                    }
            }
        }
        return result;

        static void Add(List<string> list, string w)
        {
            // Adjective lemmas in data.adj may carry a syntactic marker: "(a)", "(p)", "(ip)".
            int paren = w.IndexOf('(');
            if (paren > 0) w = w[..paren];
            if (!list.Contains(w)) list.Add(w);
        }
    }

    /// <summary>The lemmas of <paramref name="pos"/>'s index with their tagged-sense counts (a frequency proxy).</summary>
    public IEnumerable<(string Lemma, int TaggedSenses)> IndexEntries(WordNetPos pos)
    {
        foreach (var line in File.ReadLines(Path.Combine(_dir, "index." + Suffix[(int)pos])))
        {
            if (line.StartsWith(' ')) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int pcnt = int.Parse(f[3]);
            yield return (f[0], int.Parse(f[5 + pcnt]));
        }
    }

    private sealed record Pointer(string Symbol, long Offset, WordNetPos Pos, int Source, int Target);

    private sealed record Synset(char Type, List<string> Words, List<Pointer> Pointers);

    private Synset ReadSynset(WordNetPos pos, long offset)
    {
        string line;
        using (var s = new FileStream(Path.Combine(_dir, "data." + Suffix[(int)pos]), FileMode.Open, FileAccess.Read, FileShare.Read, 4096))
        {
            s.Seek(offset, SeekOrigin.Begin);
            var bytes = new List<byte>(512);
            int b;
            while ((b = s.ReadByte()) >= 0 && b != '\n') bytes.Add((byte)b);
            line = Encoding.UTF8.GetString([.. bytes]);
        }
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        char type = f[2][0];
        int wcnt = Convert.ToInt32(f[3], 16);
        var words = new List<string>(wcnt);
        for (int i = 0; i < wcnt; i++) words.Add(f[4 + 2 * i]);
        int k = 4 + 2 * wcnt;
        int pcnt = int.Parse(f[k]);
        var pointers = new List<Pointer>(pcnt);
        for (int i = 0; i < pcnt; i++)
        {
            int at = k + 1 + 4 * i;
            var st = f[at + 3];
            pointers.Add(new Pointer(f[at], long.Parse(f[at + 1]), PosOf(f[at + 2][0]), Convert.ToInt32(st[..2], 16), Convert.ToInt32(st[2..], 16)));
        }
        return new Synset(type, words, pointers);
    }

    private static WordNetPos PosOf(char c) => c switch
    {
        'n' => WordNetPos.Noun,
        'v' => WordNetPos.Verb,
        'a' or 's' => WordNetPos.Adjective,
        'r' => WordNetPos.Adverb,
        _ => throw new InvalidDataException($"unknown WordNet part of speech '{c}'"),
    };

    private Dictionary<string, long[]> LoadIndex(int pos)
    {
        var map = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(_dir, "index." + Suffix[pos])))
        {
            if (line.StartsWith(' ')) continue;
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            int synsets = int.Parse(f[2]);
            int pcnt = int.Parse(f[3]);
            int first = 4 + pcnt + 2;
            var offsets = new long[synsets];
            for (int i = 0; i < synsets; i++) offsets[i] = long.Parse(f[first + i]);
            map[f[0]] = offsets;
        }
        return map;
    }

    private Dictionary<string, string[]> LoadExceptions(int pos)
    {
        var map = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var path = Path.Combine(_dir, Suffix[pos] + ".exc");
        if (!File.Exists(path)) return map;
        foreach (var line in File.ReadLines(path))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length >= 2) map[f[0]] = f[1..];
        }
        return map;
    }
}
