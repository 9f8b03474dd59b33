using System.Text;
using CsCheck;
using Sightline.IO;

namespace Sightline.Tests.IO;

public sealed class NpyTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Written_header_is_numpy_style_and_64_byte_aligned()
    {
        string path = _dir.File("h.npy");
        Npy.Write<float>(path, new float[6], 2, 3);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(0x93, bytes[0]);
        Assert.Equal("NUMPY", Encoding.ASCII.GetString(bytes, 1, 5));
        Assert.Equal(1, bytes[6]);
        int headerLen = bytes[8] | (bytes[9] << 8);
        Assert.Equal(0, (10 + headerLen) % 64);
        string header = Encoding.ASCII.GetString(bytes, 10, headerLen);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", header);
        Assert.EndsWith("\n", header);
        Assert.Equal(10 + headerLen + 24, bytes.Length);
    }

    [Fact]
    public void One_dimensional_shape_is_written_with_a_trailing_comma()
    {
        string path = _dir.File("one.npy");
        Npy.Write<byte>(path, new byte[5]);
        Assert.Contains("'shape': (5,)", Encoding.ASCII.GetString(File.ReadAllBytes(path), 10, 60));
    }

    [Fact]
    public void Shape_that_does_not_match_the_data_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Npy.Write<float>(_dir.File("x.npy"), new float[5], 2, 3));
        Assert.Throws<ArgumentException>(() => Npy.Write<float>(_dir.File("x.npy"), new float[0], -1, 0));
    }

    [Fact]
    public void Header_build_switches_to_version_two_when_the_header_exceeds_64_KiB()
    {
        // 30k dimensions of 1 make a header longer than a uint16 can describe.
        var shape = Enumerable.Repeat(1, 30_000).ToArray();
        byte[] header = NpyHeader.Build(NpyDType.Float32, shape);
        Assert.Equal(2, header[6]);
        Assert.Equal(0, header.Length % 64);
        string path = _dir.File("v2.npy");
        File.WriteAllBytes(path, [.. header, .. BitConverter.GetBytes(4.5f)]);
        using var r = NpyReader.Open(path);
        Assert.Equal(2, r.Header.Version);
        Assert.Equal(30_000, r.Shape.Length);
        Assert.Equal(new[] { 4.5f }, r.ReadAll<float>());
    }

    [Fact]
    public void Random_shapes_and_dtypes_round_trip_exactly()
    {
        var genShape = Gen.Int[0, 5].Array[0, 4];
        Gen.Select(genShape, Gen.Int[0, 11], Gen.ULong)
            .Sample((shape, dtypeIndex, seed) =>
            {
                long count = shape.Aggregate(1L, (a, b) => a * b);
                var dtype = (NpyDType)dtypeIndex;
                string path = Path.Combine(_dir.Root, $"p{Guid.NewGuid():N}.npy");
                var rng = new Random((int)seed);
                var raw = new byte[count * dtype.ItemSize()];
                rng.NextBytes(raw);
                try
                {
                    return dtype switch
                    {
                        NpyDType.Bool => Check(path, raw.Select(b => (b & 1) == 1).ToArray(), shape, r => r.ReadAll<byte>().Select(b => b == 1).ToArray()),
                        NpyDType.UInt8 => Check(path, raw, shape, r => r.ReadAll<byte>()),
                        NpyDType.Int8 => Check(path, Cast<sbyte>(raw), shape, r => r.ReadAll<sbyte>()),
                        NpyDType.Int16 => Check(path, Cast<short>(raw), shape, r => r.ReadAll<short>()),
                        NpyDType.UInt16 => Check(path, Cast<ushort>(raw), shape, r => r.ReadAll<ushort>()),
                        NpyDType.Int32 => Check(path, Cast<int>(raw), shape, r => r.ReadAll<int>()),
                        NpyDType.UInt32 => Check(path, Cast<uint>(raw), shape, r => r.ReadAll<uint>()),
                        NpyDType.Int64 => Check(path, Cast<long>(raw), shape, r => r.ReadAll<long>()),
                        NpyDType.UInt64 => Check(path, Cast<ulong>(raw), shape, r => r.ReadAll<ulong>()),
                        // Compare floats bitwise so NaN payloads and -0 must survive too.
                        NpyDType.Float16 => Check(path, Cast<ushort>(raw), shape, r => Cast<ushort>(ToBytes(r.ReadAll<Half>())), write: p => Npy.Write(p, Cast<Half>(raw), shape)),
                        NpyDType.Float32 => Check(path, Cast<uint>(raw), shape, r => Cast<uint>(ToBytes(r.ReadAll<float>())), write: p => Npy.Write(p, Cast<float>(raw), shape)),
                        _ => Check(path, Cast<ulong>(raw), shape, r => Cast<ulong>(ToBytes(r.ReadAll<double>())), write: p => Npy.Write(p, Cast<double>(raw), shape)),
                    };
                }
                finally
                {
                    File.Delete(path);
                }
            }, iter: 300);
    }

    private static T[] Cast<T>(byte[] raw) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(raw).ToArray();

    private static byte[] ToBytes<T>(T[] a) where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(a.AsSpan()).ToArray();

    private static bool Check<T>(string path, T[] expected, int[] shape, Func<NpyReader, T[]> read, Action<string>? write = null) where T : unmanaged
    {
        if (write is null) Npy.Write<T>(path, expected, shape);
        else write(path);
        using var r = NpyReader.Open(path);
        return r.Shape.SequenceEqual(shape) && read(r).SequenceEqual(expected);
    }
}

public sealed class NpyWriterTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Streaming_writer_appends_chunks_into_one_array()
    {
        string path = _dir.File("stack.npy");
        using (var w = NpyWriter.Create(path, NpyDType.Float32, 3, 2, 2))
        {
            for (int n = 0; n < 3; n++)
                w.Write<float>([n, n + 0.25f, n + 0.5f, n + 0.75f]);
            Assert.Equal(12, w.Written);
            w.Complete();
        }
        using var r = NpyReader.Open(path);
        Assert.Equal(new[] { 3, 2, 2 }, r.Shape);
        Assert.Equal(new float[] { 0, 0.25f, 0.5f, 0.75f, 1, 1.25f, 1.5f, 1.75f, 2, 2.25f, 2.5f, 2.75f }, r.ReadAll<float>());
    }

    [Fact]
    public void Streaming_writer_handles_bool_and_uint8()
    {
        string b = _dir.File("b.npy");
        using (var w = NpyWriter.Create(b, NpyDType.Bool, 2, 2))
        {
            w.Write<bool>([true, false]);
            w.Write<bool>([false, true]);
        }
        using var r = NpyReader.Open(b);
        Assert.Equal(new byte[] { 1, 0, 0, 1 }, r.ReadAll<byte>());
    }

    [Fact]
    public void Short_write_is_reported_on_dispose_and_the_partial_file_deleted()
    {
        string path = _dir.File("short.npy");
        var w = NpyWriter.Create(path, NpyDType.Float32, 2, 2);
        w.Write<float>([1, 2, 3]);
        var e = Assert.Throws<InvalidOperationException>(w.Dispose);
        Assert.Contains("3 of 4", e.Message);
        Assert.False(File.Exists(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, ".short.npy*"));
        // An earlier good file survives a failed rewrite untouched.
        Npy.Write<float>(path, [9f], 1);
        var again = NpyWriter.Create(path, NpyDType.Float32, 2, 2);
        again.Write<float>([1]);
        Assert.Throws<InvalidOperationException>(again.Dispose);
        Assert.Equal([9f], NpyReader.Open(path).ReadAll<float>());
    }

    [Fact]
    public void Writing_past_the_declared_shape_or_with_the_wrong_type_throws()
    {
        string path = _dir.File("over.npy");
        using var w = NpyWriter.Create(path, NpyDType.Int32, 2);
        Assert.Throws<ArgumentException>(() => w.Write<float>([1f]));
        w.Write<int>([1]);
        Assert.Throws<InvalidOperationException>(() => w.Write<int>([2, 3]));
        w.Write<int>([2]);
    }
}
