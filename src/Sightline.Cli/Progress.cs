using System.Diagnostics;

namespace Sightline.Cli;

/// <summary>
/// Progress on a terminal: one line redrawn at most five times a second with count, rate and ETA; silent when the
/// output is redirected (so logs and pipes stay clean).
/// </summary>
public sealed class ConsoleProgress(CliContext context, string label, long total) : IProgress<int>, IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDraw = -1000;
    private bool _drawn;
    private readonly Lock _lock = new();

    /// <inheritdoc/>
    public void Report(int value)
    {
        if (!context.Interactive) return;
        lock (_lock)
        {
            long now = _clock.ElapsedMilliseconds;
            if (now - _lastDraw < 200 && value < total) return;
            _lastDraw = now;
            double rate = value / Math.Max(1e-3, _clock.Elapsed.TotalSeconds);
            string eta = value > 0 && value < total ? $", {TimeSpan.FromSeconds((total - value) / rate):mm\\:ss} left" : "";
            context.Error.Write($"\r{label}: {value}/{total} ({100.0 * value / Math.Max(1, total):0}%), {rate:0}/s{eta}   ");
            _drawn = true;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_drawn) context.Error.WriteLine();
    }
}
