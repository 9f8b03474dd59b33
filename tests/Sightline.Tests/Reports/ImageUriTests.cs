using SkiaSharp;
using Sightline.Reports;

namespace Sightline.Tests.Reports;

public sealed class ImageUriTests
{
    [Fact]
    public void A_truncated_jpeg_is_reported_instead_of_embedded()
    {
        using var dir = new Sightline.Tests.Cli.TempDir();
        using (var bitmap = new SKBitmap(new SKImageInfo(64, 48, SKColorType.Rgba8888, SKAlphaType.Unpremul)))
        {
            var rng = new Random(3);
            for (int y = 0; y < 48; y++)
                for (int x = 0; x < 64; x++) bitmap.SetPixel(x, y, new SKColor((byte)rng.Next(256), (byte)rng.Next(256), (byte)rng.Next(256)));
            using var image = SKImage.FromBitmap(bitmap);
            using var data = image.Encode(SKEncodedImageFormat.Jpeg, 90);
            File.WriteAllBytes(dir.File("ok.jpg"), data.ToArray());
        }
        var (uri, problem) = HtmlReport.ImageUri(dir.File("ok.jpg"));
        Assert.Null(problem);
        Assert.StartsWith("data:image/jpeg;base64,", uri);
        var bytes = File.ReadAllBytes(dir.File("ok.jpg"));
        File.WriteAllBytes(dir.File("cut.jpg"), bytes[..(bytes.Length / 2)]);
        (uri, problem) = HtmlReport.ImageUri(dir.File("cut.jpg"));
        Assert.Null(uri);
        Assert.Contains("truncated or corrupt image", problem);
    }
}
