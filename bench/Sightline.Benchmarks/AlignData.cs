using Sightline.IO;

namespace Sightline.Benchmarks;

/// <summary>Synthetic saliency/mask stacks for timing <c>sightline align</c> end to end.</summary>
public static class AlignData
{
    public static void Write(string dir, int n, int size)
    {
        Directory.CreateDirectory(dir);
        var rng = new Random(3);
        using var maps = NpyWriter.Create(Path.Combine(dir, "saliency.npy"), NpyDType.Float32, [n, size, size]);
        using var masks = NpyWriter.Create(Path.Combine(dir, "masks.npy"), NpyDType.Bool, [n, size, size]);
        var map = new float[size * size];
        var mask = new bool[size * size];
        for (int i = 0; i < n; i++)
        {
            int cy = rng.Next(size / 5, 4 * size / 5), cx = rng.Next(size / 5, 4 * size / 5), r = rng.Next(size / 10, size / 4);
            for (int y = 0; y < size; y++)
                for (int x = 0; x < size; x++)
                {
                    double d2 = (y - cy) * (y - cy) + (x - cx) * (x - cx);
                    map[y * size + x] = (float)(Math.Exp(-d2 / (2.0 * r * r)) + 0.2 * rng.NextDouble());
                    mask[y * size + x] = Math.Abs(y - cy - 5) < r && Math.Abs(x - cx + 3) < r;
                }
            maps.Write<float>(map);
            masks.Write<bool>(mask);
        }
    }
}
