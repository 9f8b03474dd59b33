namespace Sightline.Alignment;

/// <summary>Nearest-neighbour resizing of masks (OpenCV INTER_NEAREST geometry: src = floor(dst · in/out)).</summary>
public static class MaskResize
{
    /// <summary>Resizes a row-major <paramref name="inH"/>×<paramref name="inW"/> mask to the destination size.</summary>
    public static void Nearest(ReadOnlySpan<byte> source, int inH, int inW, Span<byte> destination, int outH, int outW)
    {
        if (source.Length != inH * inW || destination.Length != outH * outW)
            throw new ArgumentException("Mask buffer sizes do not match the stated shapes.");
        Span<int> cols = outW <= 4096 ? stackalloc int[outW] : new int[outW];
        for (int x = 0; x < outW; x++) cols[x] = Math.Min(inW - 1, (int)((long)x * inW / outW));
        for (int y = 0; y < outH; y++)
        {
            int sy = Math.Min(inH - 1, (int)((long)y * inH / outH));
            var srcRow = source.Slice(sy * inW, inW);
            var dstRow = destination.Slice(y * outW, outW);
            for (int x = 0; x < outW; x++) dstRow[x] = srcRow[cols[x]];
        }
    }
}
