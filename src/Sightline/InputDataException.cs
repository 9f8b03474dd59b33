namespace Sightline;

/// <summary>
/// Bad user input: an unreadable, truncated or corrupt file, a wrong dtype or shape, a non-binary mask. The message
/// names the file (or option) and says what to do; the CLI prints it as one line and exits with code 2.
/// </summary>
public sealed class InputDataException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InputDataException(string message) : base(message) { }

    /// <summary>Creates the exception with the underlying cause.</summary>
    public InputDataException(string message, Exception inner) : base(message, inner) { }
}
