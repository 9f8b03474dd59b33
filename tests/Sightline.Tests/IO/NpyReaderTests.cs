using System.Buffers.Binary;
using System.Numerics;
using Sightline.IO;

namespace Sightline.Tests.IO;

public sealed class NpyReaderTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteRaw(string name, byte[] bytes)
    {
        string path = _dir.File(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] LittleFloats(params float[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), v[i]);
        return b;
    }

    private static void RoundTrip<T>(TempDir dir, T[] values, params int[] shape) where T : unmanaged, INumberBase<T>
    {
        string path = dir.File($"{typeof(T).Name}.npy");
        Npy.Write<T>(path, values, shape);
        using var r = NpyReader.Open(path);
        Assert.Equal(NpyDTypes.For<T>(), r.Header.DType);
        Assert.Equal(shape, r.Shape);
        Assert.Equal(values, r.ReadAll<T>());
        var asDouble = r.ReadAll<double>();
        for (int i = 0; i < values.Length; i++) Assert.Equal(double.CreateTruncating(values[i]), asDouble[i]);
    }

    [Fact]
    public void Every_numeric_dtype_round_trips_through_the_writer()
    {
        RoundTrip(_dir, new byte[] { 0, 1, 255, 7, 8, 9 }, 2, 3);
        RoundTrip(_dir, new sbyte[] { -128, 0, 127, -1 }, 4);
        RoundTrip(_dir, new short[] { short.MinValue, -1, 0, short.MaxValue }, 2, 2);
        RoundTrip(_dir, new ushort[] { 0, 1, ushort.MaxValue }, 3);
        RoundTrip(_dir, new int[] { int.MinValue, 0, int.MaxValue, 5, 6, 7 }, 3, 2);
        RoundTrip(_dir, new uint[] { 0, uint.MaxValue }, 2);
        RoundTrip(_dir, new long[] { long.MinValue, 0, long.MaxValue }, 3);
        RoundTrip(_dir, new ulong[] { 0, ulong.MaxValue }, 2);
        RoundTrip(_dir, new Half[] { (Half)1.5, (Half)(-2), Half.MaxValue, Half.Epsilon }, 2, 2);
        RoundTrip(_dir, new float[] { 1.5f, -0f, float.MaxValue, float.Epsilon, float.NaN, float.NegativeInfinity }, 1, 2, 3);
        RoundTrip(_dir, new double[] { Math.PI, -1e300, double.Epsilon }, 3);
    }

    [Fact]
    public void Bool_round_trips_and_reads_as_zero_or_one_bytes()
    {
        string path = _dir.File("b.npy");
        Npy.Write(path, new[] { true, false, true, true }, 2, 2);
        using var r = NpyReader.Open(path);
        Assert.Equal(NpyDType.Bool, r.Header.DType);
        Assert.Equal(new byte[] { 1, 0, 1, 1 }, r.ReadAll<byte>());
        Assert.Equal(new float[] { 1, 0, 1, 1 }, r.ReadAll<float>());
        Assert.Equal("|b1", NpyDType.Bool.Descr());
    }

    [Fact]
    public void Crafted_bool_with_non_zero_bytes_other_than_one_reads_as_true()
    {
        string path = WriteRaw("b2.npy", Craft.Npy("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", [0, 2, 255]));
        using var r = NpyReader.Open(path);
        Assert.Equal(new byte[] { 0, 1, 1 }, r.ReadAll<byte>());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Header_versions_one_two_and_three_are_read(int version)
    {
        string path = WriteRaw($"v{version}.npy", Craft.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", LittleFloats(1, 2, 3, 4, 5, 6), version));
        using var r = NpyReader.Open(path);
        Assert.Equal(version, r.Header.Version);
        Assert.Equal(new[] { 2, 3 }, r.Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, r.ReadAll<float>());
    }

    [Theory]
    [InlineData("{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}")]
    [InlineData("{ \"descr\" : \"<f4\" ,'fortran_order':False,'shape':(2,3,),}")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }")]
    [InlineData("{'fortran_order': False, 'descr': '=f4', 'shape': (2, 3)}")]
    public void Header_dict_variants_parse_to_the_same_array(string dict)
    {
        string path = WriteRaw("variant.npy", Craft.Npy(dict, LittleFloats(1, 2, 3, 4, 5, 6)));
        using var r = NpyReader.Open(path);
        Assert.Equal(new[] { 2, 3 }, r.Shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, r.ReadAll<float>());
    }

    [Fact]
    public void Version_three_header_may_hold_utf8()
    {
        // A UTF-8 byte sequence in an ignored key proves the header is decoded as UTF-8, not rejected.
        string path = WriteRaw("v3u.npy", Craft.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'note': 'größe'}", LittleFloats(7), 3));
        using var r = NpyReader.Open(path);
        Assert.Equal(new float[] { 7 }, r.ReadAll<float>());
    }

    [Fact]
    public void Zero_dimensional_array_has_one_element()
    {
        string path = WriteRaw("scalar.npy", Craft.Npy("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", BitConverter.GetBytes(2.5)));
        using var r = NpyReader.Open(path);
        Assert.Empty(r.Shape);
        Assert.Equal(1, r.ElementCount);
        Assert.Equal(new[] { 2.5 }, r.ReadAll<double>());

        string written = _dir.File("scalar2.npy");
        Npy.Write(written, new[] { 3f });
        using var w = NpyReader.Open(written);
        Assert.Empty(w.Shape);
        Assert.Equal(new[] { 3f }, w.ReadAll<float>());
    }

    [Fact]
    public void Empty_array_has_zero_elements()
    {
        string path = _dir.File("empty.npy");
        Npy.Write(path, ReadOnlySpan<float>.Empty, 0, 3);
        using var r = NpyReader.Open(path);
        Assert.Equal(new[] { 0, 3 }, r.Shape);
        Assert.Equal(0, r.ElementCount);
        Assert.Empty(r.ReadAll<float>());
    }

    [Fact]
    public void Big_endian_files_are_read_with_correct_values()
    {
        var f4 = new byte[8];
        BinaryPrimitives.WriteSingleBigEndian(f4, 1.5f);
        BinaryPrimitives.WriteSingleBigEndian(f4.AsSpan(4), -3.25f);
        using (var r = NpyReader.Open(WriteRaw("bf4.npy", Craft.Npy("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", f4))))
        {
            Assert.True(r.Header.BigEndian);
            Assert.Equal(new[] { 1.5f, -3.25f }, r.ReadAll<float>());
        }
        var i2 = new byte[4];
        BinaryPrimitives.WriteInt16BigEndian(i2, -300);
        BinaryPrimitives.WriteInt16BigEndian(i2.AsSpan(2), 258);
        using (var r = NpyReader.Open(WriteRaw("bi2.npy", Craft.Npy("{'descr': '>i2', 'fortran_order': False, 'shape': (2,), }", i2))))
        {
            Assert.Equal(new short[] { -300, 258 }, r.ReadAll<short>());
            Assert.Equal(new[] { -300, 258 }, r.ReadAll<int>());
        }
        var f8 = new byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(f8, Math.E);
        using (var r = NpyReader.Open(WriteRaw("bf8.npy", Craft.Npy("{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }", f8))))
            Assert.Equal(new[] { Math.E }, r.ReadAll<double>());
        var u8 = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(u8, 0x0102030405060708UL);
        using (var r = NpyReader.Open(WriteRaw("bu8.npy", Craft.Npy("{'descr': '>u8', 'fortran_order': False, 'shape': (1,), }", u8))))
            Assert.Equal(new[] { 0x0102030405060708UL }, r.ReadAll<ulong>());
        // Byte order is meaningless for one-byte types: '>u1' and '|u1' read the same.
        using (var r = NpyReader.Open(WriteRaw("bu1.npy", Craft.Npy("{'descr': '>u1', 'fortran_order': False, 'shape': (2,), }", [3, 250]))))
            Assert.Equal(new byte[] { 3, 250 }, r.ReadAll<byte>());
    }

    [Fact]
    public void Float16_values_including_max_and_subnormal_convert_exactly()
    {
        ushort[] bits = [0x3E00, 0xC000, 0x7BFF, 0x0001, 0x8000];
        var data = new byte[bits.Length * 2];
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(i * 2), bits[i]);
        using var r = NpyReader.Open(WriteRaw("f2.npy", Craft.Npy("{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }", data)));
        var f = r.ReadAll<float>();
        Assert.Equal([1.5f, -2f, 65504f, MathF.Pow(2, -24), -0f], f);
        Assert.True(float.IsNegative(f[4]));
        Assert.Equal(new[] { 1.5, -2, 65504, Math.Pow(2, -24), 0 }, r.ReadAll<double>());

        var be = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(be, 0x3E00);
        using var b = NpyReader.Open(WriteRaw("bf2.npy", Craft.Npy("{'descr': '>f2', 'fortran_order': False, 'shape': (1,), }", be)));
        Assert.Equal(new[] { 1.5f }, b.ReadAll<float>());
    }

    [Fact]
    public void Fortran_order_2x3_is_returned_in_C_order()
    {
        // C-order matrix [[1,2,3],[4,5,6]] stored column-major: 1,4,2,5,3,6.
        string path = WriteRaw("f23.npy", Craft.Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", LittleFloats(1, 4, 2, 5, 3, 6)));
        using var r = NpyReader.Open(path);
        Assert.False(r.Header.FortranOrder);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, r.ReadAll<float>());
    }

    [Fact]
    public void Fortran_order_2x3x4_is_returned_in_C_order()
    {
        // Element (i,j,k) has value 100i+10j+k; Fortran layout puts it at i + 2j + 6k.
        var fortran = new float[24];
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    fortran[i + 2 * j + 6 * k] = 100 * i + 10 * j + k;
        var be = new byte[24 * 4];
        for (int n = 0; n < 24; n++) BinaryPrimitives.WriteSingleBigEndian(be.AsSpan(n * 4), fortran[n]);
        // Big-endian too, to check transposition and byte swapping compose.
        using var r = NpyReader.Open(WriteRaw("f234.npy", Craft.Npy("{'descr': '>f4', 'fortran_order': True, 'shape': (2, 3, 4), }", be)));
        var c = r.ReadAll<float>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                    Assert.Equal(100 * i + 10 * j + k, c[(i * 3 + j) * 4 + k]);
        var part = new float[5];
        r.Read(13, part);
        Assert.Equal(c.AsSpan(13, 5).ToArray(), part);
    }

    [Fact]
    public void Fortran_order_one_dimensional_is_the_same_as_C_order()
    {
        using var r = NpyReader.Open(WriteRaw("f1.npy", Craft.Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (3,), }", LittleFloats(1, 2, 3))));
        Assert.Equal(new float[] { 1, 2, 3 }, r.ReadAll<float>());
    }

    [Fact]
    public void Partial_range_reads_return_the_requested_slice_for_every_destination_type()
    {
        // 100k int16 values span several 64 KiB conversion chunks.
        var values = Enumerable.Range(0, 100_000).Select(i => (short)((i * 7919) % 30000 - 15000)).ToArray();
        string path = _dir.File("i2.npy");
        Npy.Write<short>(path, values, 100, 1000);
        using var r = NpyReader.Open(path);
        foreach (var (start, length) in new[] { (0, 1), (999, 2), (31_000, 40_000), (99_990, 10), (5, 0) })
        {
            var f = new float[length];
            r.Read(start, f);
            var d = new double[length];
            r.Read(start, d);
            var n = new int[length];
            r.Read(start, n);
            var l = new long[length];
            r.Read(start, l);
            for (int i = 0; i < length; i++)
            {
                Assert.Equal(values[start + i], f[i]);
                Assert.Equal(values[start + i], d[i]);
                Assert.Equal(values[start + i], n[i]);
                Assert.Equal(values[start + i], l[i]);
            }
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Read(99_999, new float[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => r.Read(-1, new float[1]));
    }

    [Fact]
    public void Float32_fast_path_reads_slices_at_offsets()
    {
        var values = Enumerable.Range(0, 50_000).Select(i => i * 0.5f).ToArray();
        string path = _dir.File("f4.npy");
        Npy.Write<float>(path, values);
        using var r = NpyReader.Open(path);
        var slice = new float[12_345];
        r.Read(20_000, slice);
        Assert.Equal(values.AsSpan(20_000, 12_345).ToArray(), slice);
    }

    [Fact]
    public void Concurrent_reads_from_several_threads_give_identical_results()
    {
        var values = Enumerable.Range(0, 200_000).Select(i => (double)i * 1.25).ToArray();
        string path = _dir.File("f8.npy");
        Npy.Write<double>(path, values, 200, 1000);
        using var r = NpyReader.Open(path);
        var failures = 0;
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            var rng = new Random(t);
            for (int k = 0; k < 20; k++)
            {
                int start = rng.Next(0, 190_000);
                int len = rng.Next(1, 10_000);
                var f = new float[len];
                r.Read(start, f);
                for (int i = 0; i < len; i++)
                    if (f[i] != (float)values[start + i]) Interlocked.Increment(ref failures);
            }
        });
        Assert.Equal(0, failures);
    }

    [Fact]
    public void Integer_destinations_reject_values_that_do_not_fit_and_name_the_file()
    {
        string path = _dir.File("labels.npy");
        Npy.Write<int>(path, [0, 1, 300]);
        using var r = NpyReader.Open(path);
        var e = Assert.Throws<InputDataException>(() => r.ReadAll<byte>());
        Assert.Contains("labels.npy", e.Message);
        Assert.Contains("300", e.Message);
        var ok = new byte[2];
        r.Read(0, ok);
        Assert.Equal(new byte[] { 0, 1 }, ok);

        string half = _dir.File("soft.npy");
        Npy.Write<float>(half, [0f, 0.5f]);
        using var h = NpyReader.Open(half);
        Assert.Contains("soft.npy", Assert.Throws<InputDataException>(() => h.ReadAll<byte>()).Message);

        string nan = _dir.File("nan.npy");
        Npy.Write<float>(nan, [float.NaN]);
        using var n = NpyReader.Open(nan);
        Assert.Throws<InputDataException>(() => n.ReadAll<int>());

        string mask = _dir.File("mask.npy");
        Npy.Write<double>(mask, [0.0, 1.0, 255.0]);
        using var m = NpyReader.Open(mask);
        Assert.Equal(new byte[] { 0, 1, 255 }, m.ReadAll<byte>());
    }

    [Fact]
    public void Missing_file_gives_InputDataException_naming_it()
    {
        string path = _dir.File("nope.npy");
        var e = Assert.Throws<InputDataException>(() => NpyReader.Open(path));
        Assert.Contains("nope.npy", e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void Bad_magic_is_reported_as_not_an_NPY_file()
    {
        string path = WriteRaw("text.npy", "hello, this is not numpy data"u8.ToArray());
        var e = Assert.Throws<InputDataException>(() => NpyReader.Open(path));
        Assert.Contains("text.npy", e.Message);
        Assert.Contains("not an NPY file", e.Message);
    }

    [Fact]
    public void Truncated_data_is_reported_with_expected_and_actual_sizes()
    {
        var data = new byte[100];
        string path = WriteRaw("masks.npy", Craft.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4, 4), }", data));
        var e = Assert.Throws<InputDataException>(() => NpyReader.Open(path));
        Assert.Contains("masks.npy", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains("2×4×4", e.Message);
        Assert.Contains("128", e.Message);
        Assert.Contains("100", e.Message);
    }

    [Fact]
    public void Truncated_header_is_reported()
    {
        byte[] full = Craft.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", LittleFloats(1, 2));
        string path = WriteRaw("short.npy", full[..30]);
        Assert.Contains("short.npy", Assert.Throws<InputDataException>(() => NpyReader.Open(path)).Message);
    }

    [Fact]
    public void Trailing_bytes_after_the_data_are_reported_as_a_mismatch()
    {
        string path = WriteRaw("long.npy", Craft.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", LittleFloats(1, 2, 3)));
        Assert.Contains("long.npy", Assert.Throws<InputDataException>(() => NpyReader.Open(path)).Message);
    }

    [Theory]
    [InlineData("'<c8'", "complex64")]
    [InlineData("'<c16'", "complex128")]
    [InlineData("'|O'", "object")]
    [InlineData("'<U5'", "unicode")]
    [InlineData("'<f16'", "float128")]
    [InlineData("'<M8[ns]'", "datetime64")]
    [InlineData("[('x', '<f4'), ('y', '<i4')]", "structured")]
    public void Unsupported_dtypes_are_named_in_the_error(string descr, string expected)
    {
        string path = WriteRaw("odd.npy", Craft.Npy($"{{'descr': {descr}, 'fortran_order': False, 'shape': (1,), }}", new byte[16]));
        var e = Assert.Throws<InputDataException>(() => NpyReader.Open(path));
        Assert.Contains("odd.npy", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("(-1, 3)")]
    [InlineData("(2, 'x')")]
    [InlineData("(1.5,)")]
    [InlineData("[2, 3]")]
    [InlineData("(99999999999,)")]
    [InlineData("(2147483647, 2147483647, 2147483647)")]
    [InlineData("None")]
    public void Negative_or_garbage_shapes_are_rejected(string shape)
    {
        string path = WriteRaw("shape.npy", Craft.Npy($"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}", new byte[8]));
        Assert.Contains("shape.npy", Assert.Throws<InputDataException>(() => NpyReader.Open(path)).Message);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'shape': (2,)}")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)")]
    [InlineData("not a dict")]
    [InlineData("{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,)}")]
    public void Malformed_headers_are_rejected(string dict)
    {
        string path = WriteRaw("hdr.npy", Craft.Npy(dict, LittleFloats(1, 2)));
        Assert.Contains("hdr.npy", Assert.Throws<InputDataException>(() => NpyReader.Open(path)).Message);
    }

    [Fact]
    public void Unknown_format_version_is_rejected()
    {
        byte[] bytes = Craft.Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", LittleFloats(1));
        bytes[6] = 9;
        string path = WriteRaw("v9.npy", bytes);
        Assert.Contains("version 9", Assert.Throws<InputDataException>(() => NpyReader.Open(path)).Message);
    }
}
