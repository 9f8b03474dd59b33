using System.Text;

namespace Sightline.Text.IO;

/// <summary>
/// Reads the text files the <c>sightline text</c> commands take (prompts, labels, attributions, vocabularies) and turns
/// every way such a path can be wrong into one <see cref="InputDataException"/> line that names the option, says what is
/// wrong and what is expected: a folder, a missing file, a file that cannot be read, an empty file, or binary content
/// (a NUL byte or bytes that are not UTF-8), instead of an operating-system message such as "Access denied" for a folder.
/// </summary>
public static class TextInputFile
{
    /// <summary>
    /// Checks that <paramref name="path"/> names an existing, readable file (not a folder); <paramref name="expected"/>
    /// completes "give …" in the messages (e.g. <c>a .txt or .csv file</c>).
    /// </summary>
    public static void CheckFile(string path, string option, string expected)
    {
        if (Directory.Exists(path)) throw new InputDataException($"{option} {path}: is a folder, not a file; give {expected}.");
        if (!File.Exists(path)) throw new InputDataException($"{option} {path}: file not found; give {expected}.");
    }

    /// <summary>
    /// The whole of <paramref name="path"/> as UTF-8 text (a byte-order mark dropped), after <see cref="CheckFile"/>.
    /// Refuses a file of zero bytes, one with a NUL byte or with bytes that are not UTF-8 (a binary file given by
    /// mistake), each with the byte offset where it stops being text.
    /// </summary>
    public static string ReadAllText(string path, string option, string expected)
    {
        CheckFile(path, option, expected);
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (UnauthorizedAccessException) { throw new InputDataException($"{option} {path}: permission denied; make the file readable."); }
        catch (IOException e) { throw new InputDataException($"{option} {path}: cannot be read ({e.Message.TrimEnd('.')})."); }
        if (bytes.Length == 0) throw new InputDataException($"{option} {path}: the file is empty; give {expected}.");
        int nul = Array.IndexOf(bytes, (byte)0);
        if (nul >= 0) throw new InputDataException($"{option} {path}: not a text file (a NUL byte at offset {nul}: binary content); give {expected}.");
        var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        try
        {
            var text = strict.GetString(bytes);
            return text.Length > 0 && text[0] == '\uFEFF' ? text[1..] : text;
        }
        catch (DecoderFallbackException e)
        {
            throw new InputDataException($"{option} {path}: not UTF-8 text (invalid bytes at offset {e.Index}); give {expected}, saved as UTF-8.");
        }
    }
}
