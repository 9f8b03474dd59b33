using Sightline.Cli.Demo;

namespace Sightline.Tests.Demo;

public sealed class SpuriousCueDataTests
{
    [Fact]
    public void Object_masks_and_the_square_mask_are_disjoint_even_when_the_object_reaches_the_corner()
    {
        const int size = 28, count = 3;
        // Objects that fill the whole image, as wide garments fill the top-left corner.
        var gray = Enumerable.Repeat((byte)200, count * size * size).ToArray();
        var data = SpuriousCueData.Build(gray, [0, 1, 2], count, size, correlation: 1, shuffle: false, seed: 1, "fashion-mnist");
        var square = data.SquareMask();
        for (int n = 0; n < count; n++)
            for (int p = 0; p < size * size; p++)
            {
                Assert.False(square[p] != 0 && data.ObjectMasks[n * size * size + p] != 0, $"image {n}, pixel {p}: in both masks");
                if (square[p] == 0) Assert.Equal(1, data.ObjectMasks[n * size * size + p]);
            }
    }

    [Fact]
    public void Given_object_masks_lose_the_pixels_under_the_square_too()
    {
        const int size = 28;
        var masks = Enumerable.Repeat((byte)1, size * size).ToArray();
        var data = SpuriousCueData.Build(new byte[size * size], [4], 1, size, 0, shuffle: false, seed: 2, "shapes", masks);
        Assert.Equal(size * size - SpuriousCueData.SquareSize * SpuriousCueData.SquareSize, data.ObjectMasks.Count(b => b != 0));
        Assert.Equal(0, data.ObjectMasks[0]);
    }
}
