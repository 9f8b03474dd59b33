using Sightline.Alignment;
using Sightline.IO;
using Sightline.Metrics;

namespace Sightline.Tests.Alignment;

/// <summary>Boolean and uint8 NPY masks are read as bytes (<see cref="IByteSampleSource"/>), with the same scores and errors as the float path.</summary>
public sealed class ByteMaskPathTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sightline-bytemask-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write<T>(string name, NpyDType dtype, T[] values, params int[] shape) where T : unmanaged
    {
        var path = Path.Combine(_dir, name);
        using var w = NpyWriter.Create(path, dtype, shape);
        w.Write<T>(values);
        return path;
    }

    [Fact]
    public void Bool_masks_read_as_bytes_and_any_non_zero_byte_is_true()
    {
        var path = Write("m.npy", NpyDType.Bool, [true, false, true, false, false, true], 2, 1, 3);
        // numpy writes 0/1, but a True stored as 0xFF must still read as 1.
        using (var f = File.OpenWrite(path)) { f.Seek(-1, SeekOrigin.End); f.WriteByte(0xFF); }
        using var source = new NpySampleSource(path);
        var bytes = new byte[3];
        Assert.True(source.TryReadBytes(1, bytes));
        Assert.Equal(new byte[] { 0, 0, 1 }, bytes);
        Assert.True(source.TryReadBytes(0, bytes));
        Assert.Equal(new byte[] { 1, 0, 1 }, bytes);
    }

    [Fact]
    public void Float_masks_have_no_byte_path()
    {
        using var source = new NpySampleSource(Write("f.npy", NpyDType.Float32, [1f, 0f], 1, 1, 2));
        Assert.False(source.TryReadBytes(0, new byte[2]));
    }

    [Fact]
    public void A_uint8_mask_holding_2_is_rejected_naming_the_sample_value_and_pixel()
    {
        using var maps = new NpySampleSource(Write("s.npy", NpyDType.Float32, [1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f], 2, 2, 2));
        using var masks = new NpySampleSource(Write("u8.npy", NpyDType.UInt8, new byte[] { 1, 0, 0, 1, 0, 1, 2, 0 }, 2, 2, 2));
        var e = Assert.Throws<InputDataException>(() => AlignmentScorer.Run(maps, masks, new AlignmentOptions { Metrics = ["iou"] }));
        Assert.Equal($"{masks.Name}: mask 1 is not binary: value 2 at pixel (1, 0); masks must hold 0/1 (or booleans).", e.Message);
    }

    [Fact]
    public void Byte_and_float_masks_give_identical_scores()
    {
        var rng = new Random(5);
        int n = 6, h = 9, w = 7;
        var map = new float[n * h * w];
        for (int i = 0; i < map.Length; i++) map[i] = (float)rng.NextDouble();
        var bits = new bool[map.Length];
        for (int i = 0; i < bits.Length; i++) bits[i] = rng.Next(3) == 0;
        using var maps = new NpySampleSource(Write("s.npy", NpyDType.Float32, map, n, h, w));
        using var asBool = new NpySampleSource(Write("b.npy", NpyDType.Bool, bits, n, h, w));
        using var asByte = new NpySampleSource(Write("u.npy", NpyDType.UInt8, [.. bits.Select(b => (byte)(b ? 1 : 0))], n, h, w));
        using var asFloat = new NpySampleSource(Write("f.npy", NpyDType.Float32, [.. bits.Select(b => b ? 1f : 0f)], n, h, w));
        var options = new AlignmentOptions { Metrics = AlignmentOptions.DefaultMetrics, Settings = LocalisationSettings.Default with { SssThreshold = 0.3f } };
        var expected = AlignmentScorer.Run(maps, asFloat, options).Scores;
        foreach (var masks in new[] { asBool, asByte })
        {
            var actual = AlignmentScorer.Run(maps, masks, options).Scores;
            foreach (var (name, values) in expected) Assert.Equal(values, actual[name]);
        }
    }
}
