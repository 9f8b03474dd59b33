namespace Sightline.Torch.Lowering;

/// <summary>Shortens libtorch (c10::Error) messages, which carry a C++ backtrace, to the sentence a user needs.</summary>
internal static class LibTorchMessages
{
    /// <summary>
    /// The first line of <paramref name="message"/> that is not empty, not libtorch's "Exception raised from …" locator and
    /// not a "frame #n:" backtrace entry; the whole message trimmed when every line is one of those.
    /// </summary>
    public static string FirstMeaningfulLine(string message)
    {
        foreach (var raw in message.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith("Exception raised from", StringComparison.Ordinal) || line.StartsWith("frame #", StringComparison.Ordinal)) continue;
            return line;
        }
        return message.Trim();
    }
}
