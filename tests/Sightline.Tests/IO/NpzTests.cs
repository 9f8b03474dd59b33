using System.IO.Compression;
using Sightline.IO;

namespace Sightline.Tests.IO;

public sealed class NpzTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string WriteArchive(string name, bool compressed)
    {
        string path = _dir.File(name);
        Npz.Write(path,
        [
            NpzEntry.Create("maps", Enumerable.Range(0, 24).Select(i => i * 0.5f).ToArray(), 2, 3, 4),
            NpzEntry.Create("masks", new byte[] { 0, 1, 1, 0 }, 1, 2, 2),
            NpzEntry.Create("ids", new long[] { 7, -8 }),
        ], compressed);
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Archive_round_trips_every_entry(bool compressed)
    {
        string path = WriteArchive(compressed ? "c.npz" : "s.npz", compressed);
        Assert.Equal(new[] { "maps", "masks", "ids" }, Npz.List(path));
        using (var maps = NpyReader.Open(path + ":maps"))
        {
            Assert.Equal(new[] { 2, 3, 4 }, maps.Shape);
            Assert.Equal(Enumerable.Range(0, 24).Select(i => i * 0.5f).ToArray(), maps.ReadAll<float>());
            var slice = new float[5];
            maps.Read(17, slice);
            Assert.Equal(new[] { 8.5f, 9f, 9.5f, 10f, 10.5f }, slice);
        }
        using (var masks = Npz.Open(path, "masks.npy"))
            Assert.Equal(new byte[] { 0, 1, 1, 0 }, masks.ReadAll<byte>());
        using (var ids = Npz.Open(path, "ids"))
            Assert.Equal(new long[] { 7, -8 }, ids.ReadAll<long>());
    }

    [Fact]
    public void Stored_entries_are_written_uncompressed_and_read_in_place()
    {
        string path = WriteArchive("s.npz", compressed: false);
        using var h = File.OpenHandle(path);
        var entries = ZipDirectory.Read(path, h);
        Assert.All(entries, e => Assert.Equal(0, e.Method));
        string compressed = WriteArchive("c.npz", compressed: true);
        using var hc = File.OpenHandle(compressed);
        Assert.All(ZipDirectory.Read(compressed, hc), e => Assert.Equal(8, e.Method));
    }

    [Fact]
    public void Archives_written_by_other_zip_tools_are_read()
    {
        // ZipArchive with data descriptors and a comment, as a stand-in for Python's zipfile.
        string npy = _dir.File("a.npy");
        Npy.Write<int>(npy, [1, 2, 3]);
        string path = _dir.File("other.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            zip.CreateEntryFromFile(npy, "a.npy", CompressionLevel.SmallestSize);
            zip.Comment = "made elsewhere";
        }
        using var r = NpyReader.Open(path);
        Assert.Equal(new[] { 1, 2, 3 }, r.ReadAll<int>());
    }

    [Fact]
    public void Deflated_entry_temp_file_is_deleted_on_dispose()
    {
        string path = WriteArchive("c.npz", compressed: true);
        var before = Directory.GetFiles(Path.GetTempPath(), "sightline-npz-*").ToHashSet();
        var r = NpyReader.Open(path + ":maps");
        // Compare against the files that existed before so other processes' temp files cannot interfere.
        var created = Directory.GetFiles(Path.GetTempPath(), "sightline-npz-*").Where(f => !before.Contains(f)).ToArray();
        Assert.NotEmpty(created);
        Assert.Equal(24, r.ReadAll<float>().Length);
        r.Dispose();
        Assert.All(created, f => Assert.False(File.Exists(f)));
    }

    [Fact]
    public void Single_entry_archive_opens_without_a_name()
    {
        string path = _dir.File("one.npz");
        Npz.Write(path, [NpzEntry.Create("only", new double[] { 1, 2 })]);
        using var r = NpyReader.Open(path);
        Assert.Equal(new double[] { 1, 2 }, r.ReadAll<double>());
    }

    [Fact]
    public void Missing_entry_error_lists_the_available_names()
    {
        string path = WriteArchive("s.npz", compressed: false);
        var e = Assert.Throws<InputDataException>(() => NpyReader.Open(path + ":saliency"));
        Assert.Contains("s.npz", e.Message);
        Assert.Contains("saliency", e.Message);
        Assert.Contains("maps, masks, ids", e.Message);
        var e2 = Assert.Throws<InputDataException>(() => NpyReader.Open(path));
        Assert.Contains("3 arrays", e2.Message);
    }

    [Fact]
    public void Corrupt_zip_is_reported()
    {
        string path = _dir.File("bad.npz");
        File.WriteAllBytes(path, new byte[200]);
        var e = Assert.Throws<InputDataException>(() => Npz.List(path));
        Assert.Contains("bad.npz", e.Message);

        string good = WriteArchive("trunc.npz", compressed: true);
        byte[] bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(good, bytes[..(bytes.Length / 2)]);
        Assert.Contains("trunc.npz", Assert.Throws<InputDataException>(() => NpyReader.Open(good + ":maps")).Message);
    }

    [Fact]
    public void Corrupted_deflated_data_fails_the_crc_or_inflate_check()
    {
        string path = WriteArchive("flip.npz", compressed: true);
        byte[] bytes = File.ReadAllBytes(path);
        using (var h = File.OpenHandle(path))
        {
            var entry = ZipDirectory.Read(path, h)[0];
            long start = ZipDirectory.DataOffset(path, h, entry);
            bytes[start + entry.CompressedSize / 2] ^= 0x55;
        }
        File.WriteAllBytes(path, bytes);
        Assert.Contains("flip.npz", Assert.Throws<InputDataException>(() => NpyReader.Open(path + ":maps")).Message);
    }

    [Fact]
    public void Entry_that_is_not_NPY_is_reported()
    {
        string path = _dir.File("text.npz");
        using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
        {
            using var s = zip.CreateEntry("readme.npy").Open();
            s.Write("just text"u8);
        }
        var e = Assert.Throws<InputDataException>(() => NpyReader.Open(path + ":readme"));
        Assert.Contains("text.npz:readme", e.Message);
        Assert.Contains("not an NPY file", e.Message);
    }

    [Fact]
    public void Missing_archive_is_reported()
    {
        Assert.Contains("gone.npz", Assert.Throws<InputDataException>(() => NpyReader.Open(_dir.File("gone.npz") + ":x")).Message);
    }
}
