namespace Sightline.Torch;

/// <summary>
/// An ELF file (a native library) does not have the layout the TorchSharp loader fix expects: not 64-bit
/// little-endian ELF, truncated, a missing <c>.gnu.version_r</c>/<c>.gnu.version</c>/<c>.dynsym</c>/<c>.dynstr</c>,
/// or a version requirement used by more symbols than the one the fix is known to be safe for. The message names the file.
/// </summary>
public sealed class ElfLayoutException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ElfLayoutException(string message) : base(message) { }
}
