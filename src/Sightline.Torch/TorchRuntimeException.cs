namespace Sightline.Torch;

/// <summary>
/// TorchSharp's native library cannot be made to load on this system (for example the system libstdc++ lacks
/// versions other than the one <see cref="TorchRuntime"/> knows how to relax). The message names the files involved
/// and says what to install.
/// </summary>
public sealed class TorchRuntimeException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TorchRuntimeException(string message) : base(message) { }

    /// <summary>Creates the exception with the underlying cause.</summary>
    public TorchRuntimeException(string message, Exception inner) : base(message, inner) { }
}
