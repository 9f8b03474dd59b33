using System.Globalization;
using System.Text.Json.Nodes;

namespace Sightline.Onnx.Runtime;

/// <summary>
/// A strict reader for the small part of YAML that model configuration files need: one top-level mapping of
/// <c>key: value</c> lines whose values are scalars (numbers, <c>true</c>/<c>false</c>, <c>null</c>/<c>~</c>, plain,
/// 'single' or "double" quoted strings), flow sequences (<c>[0.5, 0.5, 0.5]</c>) or block sequences
/// (<c>- item</c> lines indented under the key), with <c>#</c> comments and blank lines. Anything else (nested
/// mappings, anchors, multi-line strings, tabs, several documents) is an error that names the line.
/// </summary>
public static class YamlSubset
{
    /// <summary>Parses <paramref name="text"/> into a JSON object; <paramref name="sourceName"/> names it in errors.</summary>
    /// <exception cref="InputDataException">Text outside the supported subset, with its line number.</exception>
    public static JsonObject Parse(string text, string sourceName)
    {
        var root = new JsonObject();
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        string? openKey = null; // a key with no inline value: a block sequence may follow
        JsonArray? block = null;
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            InputDataException Error(string what) => new($"{sourceName}:{lineNo}: {what} (supported YAML: key: value lines with numbers, strings, [a, b] or '- item' lists, # comments).");
            var raw = StripComment(lines[i], Error);
            if (raw.Trim().Length == 0) continue;
            if (raw.Contains('\t', StringComparison.Ordinal)) throw Error("tab characters are not allowed; indent with spaces");
            var trimmed = raw.TrimStart(' ');
            int indent = raw.Length - trimmed.Length;
            trimmed = trimmed.TrimEnd();
            if (i == 0 && trimmed == "---") continue;
            if (trimmed == "---" || trimmed == "...") throw Error("only one YAML document is allowed");
            if (trimmed == "-" || trimmed.StartsWith("- ", StringComparison.Ordinal))
            {
                if (openKey is null) throw Error("a '- item' line must follow a 'key:' line");
                block ??= [];
                var item = trimmed.Length == 1 ? "" : trimmed[2..].Trim();
                if (item.Length == 0) throw Error("empty list item");
                if (item.StartsWith('[') || item.StartsWith('-') || LooksLikeMapping(item)) throw Error("nested lists or mappings are not supported");
                block.Add(Scalar(item, Error));
                continue;
            }
            if (indent > 0) throw Error("unexpected indentation (nested mappings are not supported)");
            Close(root, ref openKey, ref block);
            int colon = FindKeyColon(trimmed);
            if (colon <= 0) throw Error($"expected 'key: value', got '{trimmed}'");
            var key = Unquote(trimmed[..colon].Trim(), Error);
            if (root.ContainsKey(key)) throw Error($"duplicate key '{key}'");
            var value = trimmed[(colon + 1)..].Trim();
            if (value.Length == 0)
            {
                openKey = key;
                root[key] = null;
                continue;
            }
            root[key] = value.StartsWith('[') ? Flow(value, Error) : value.StartsWith('{') || value.StartsWith('&') || value.StartsWith('*') || value.StartsWith('|') || value.StartsWith('>')
                ? throw Error("flow mappings, anchors, aliases and block strings are not supported")
                : Scalar(value, Error);
        }
        Close(root, ref openKey, ref block);
        return root;
    }

    private static void Close(JsonObject root, ref string? openKey, ref JsonArray? block)
    {
        if (openKey is not null && block is not null) root[openKey] = block;
        openKey = null;
        block = null;
    }

    private static bool LooksLikeMapping(string s) => FindKeyColon(s) > 0 && s[0] is not ('"' or '\'');

    /// <summary>The colon that ends a mapping key: followed by a space or the end of the line, outside quotes.</summary>
    private static int FindKeyColon(string s)
    {
        char quote = '\0';
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '"' or '\'') quote = c;
            else if (c == ':' && (i + 1 == s.Length || s[i + 1] == ' ')) return i;
        }
        return -1;
    }

    private static string StripComment(string line, Func<string, InputDataException> error)
    {
        char quote = '\0';
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quote != '\0') { if (c == quote) quote = '\0'; continue; }
            if (c is '"' or '\'') quote = c;
            else if (c == '#' && (i == 0 || line[i - 1] is ' ' or '\t')) return line[..i];
        }
        if (quote != '\0') throw error("unterminated quoted string");
        return line;
    }

    private static JsonArray Flow(string value, Func<string, InputDataException> error)
    {
        if (!value.EndsWith(']')) throw error("a flow list must end with ']' on the same line");
        var inner = value[1..^1].Trim();
        var array = new JsonArray();
        if (inner.Length == 0) return array;
        var item = new System.Text.StringBuilder();
        char quote = '\0';
        var items = new List<string>();
        foreach (char c in inner)
        {
            if (quote != '\0') { item.Append(c); if (c == quote) quote = '\0'; continue; }
            if (c is '"' or '\'') quote = c;
            if (c is '[' or ']' or '{' or '}') throw error("nested lists or mappings are not supported");
            if (c == ',') { items.Add(item.ToString().Trim()); item.Clear(); continue; }
            item.Append(c);
        }
        items.Add(item.ToString().Trim());
        foreach (var s in items)
        {
            if (s.Length == 0) throw error("empty item in a flow list");
            array.Add(Scalar(s, error));
        }
        return array;
    }

    private static JsonNode? Scalar(string s, Func<string, InputDataException> error)
    {
        if (s[0] is '"' or '\'') return JsonValue.Create(Unquote(s, error));
        switch (s)
        {
            case "null" or "Null" or "NULL" or "~": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)) return JsonValue.Create(d);
        if (s[0] is '&' or '*' or '!' or '|' or '>' or '%' or '@' or '`') throw error($"'{s}' uses YAML features outside the supported subset");
        return JsonValue.Create(s);
    }

    private static string Unquote(string s, Func<string, InputDataException> error)
    {
        if (s.Length == 0 || s[0] is not ('"' or '\'')) return s;
        char q = s[0];
        if (s.Length < 2 || s[^1] != q) throw error($"unterminated or trailing text after quoted string {s}");
        var body = s[1..^1];
        if (q == '\'') return body.Replace("''", "'", StringComparison.Ordinal);
        if (body.Contains('\\', StringComparison.Ordinal))
        {
            try
            {
                return System.Text.Json.JsonSerializer.Deserialize<string>("\"" + body + "\"")!;
            }
            catch (System.Text.Json.JsonException)
            {
                throw error($"invalid escape in {s}");
            }
        }
        return body;
    }
}
