using System.Runtime.InteropServices;
using System.Text;

namespace Sightline.Cli;

/// <summary>
/// The process's standard output and error for <c>Main</c>. On Linux with a UTF-8 (or unspecified) locale charset, the
/// encoding <see cref="Console"/> would pick too, they are UTF-8 writers straight over file descriptors 1 and 2
/// (<c>write(2)</c>, as <see cref="Console"/> writes): <see cref="Console"/>'s own set-up (working out the encoding from the
/// locale, terminal handling) costs about 4 ms, a twentieth of a short <c>neurons score</c>. Anywhere else (another OS,
/// another charset) they are <see cref="Console.Out"/> and <see cref="Console.Error"/>.
/// </summary>
internal static partial class StandardStreams
{
    /// <summary>Standard output and standard error, each synchronised and flushed after every write.</summary>
    public static (TextWriter Out, TextWriter Error) Open() =>
        OperatingSystem.IsLinux() && LocaleIsUtf8(Environment.GetEnvironmentVariable)
            ? (Writer(1), Writer(2))
            : (Console.Out, Console.Error);

    /// <summary>
    /// Whether the locale's charset is UTF-8 or not given, read as .NET reads it for the console: the first of
    /// <c>LC_ALL</c>, <c>LC_MESSAGES</c>, <c>LANG</c> that is set, its charset the part after '.' (up to '@').
    /// </summary>
    internal static bool LocaleIsUtf8(Func<string, string?> environment)
    {
        string? locale = null;
        foreach (var name in new[] { "LC_ALL", "LC_MESSAGES", "LANG" })
            if (environment(name) is { Length: > 0 } value) { locale = value; break; }
        if (locale is null) return true;
        int dot = locale.IndexOf('.');
        if (dot < 0) return true;
        var charset = locale[(dot + 1)..];
        if (charset.IndexOf('@') is var at and >= 0) charset = charset[..at];
        return charset.Length == 0 || charset.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
    }

    private static TextWriter Writer(int fd) =>
        TextWriter.Synchronized(new StreamWriter(new DescriptorStream(fd), new UTF8Encoding(false), 256) { AutoFlush = true });

    /// <summary>
    /// A write-only stream over an inherited file descriptor, written with <c>write(2)</c> so that the descriptor's own
    /// offset moves (output shared with other processes, <c>2&gt;&amp;1</c> or <c>(a; sightline; b) &gt; file</c>, lands in
    /// order). As with <see cref="Console"/>, a closed reader (EPIPE) or a closed descriptor (EBADF) drops the output;
    /// any other failure (a full disk) is an <see cref="IOException"/>.
    /// </summary>
    internal sealed partial class DescriptorStream(int fd) : Stream
    {
        private const int EINTR = 4, EAGAIN = 11, EBADF = 9, EPIPE = 32;
        private bool _gone;

        [LibraryImport("libc.so.6", EntryPoint = "write", SetLastError = true)]
        private static unsafe partial nint Write(int fd, byte* buffer, nuint count);

        /// <inheritdoc/>
        public override bool CanRead => false;
        /// <inheritdoc/>
        public override bool CanSeek => false;
        /// <inheritdoc/>
        public override bool CanWrite => true;
        /// <inheritdoc/>
        public override long Length => throw new NotSupportedException();
        /// <inheritdoc/>
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        /// <inheritdoc/>
        public override void Flush() { }
        /// <inheritdoc/>
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        /// <inheritdoc/>
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        /// <inheritdoc/>
        public override void SetLength(long value) => throw new NotSupportedException();
        /// <inheritdoc/>
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        /// <inheritdoc/>
        public override unsafe void Write(ReadOnlySpan<byte> buffer)
        {
            fixed (byte* start = buffer)
                for (int done = 0; done < buffer.Length && !_gone;)
                {
                    nint n = Write(fd, start + done, (nuint)(buffer.Length - done));
                    if (n >= 0) { done += (int)n; continue; }
                    int error = Marshal.GetLastPInvokeError();
                    if (error == EINTR) continue;
                    if (error == EAGAIN) { Thread.Sleep(1); continue; } // a non-blocking descriptor that is full: wait for the reader
                    if (error is EPIPE or EBADF) { _gone = true; return; }
                    throw new IOException($"Cannot write to {(fd == 1 ? "standard output" : fd == 2 ? "standard error" : $"file descriptor {fd}")}: {Marshal.GetPInvokeErrorMessage(error)}.");
                }
        }
    }
}
