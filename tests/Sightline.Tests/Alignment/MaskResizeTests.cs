using CsCheck;
using Sightline.Alignment;

namespace Sightline.Tests.Alignment;

public sealed class MaskResizeTests
{
    private static byte[] Resize(byte[] source, int inH, int inW, int outH, int outW)
    {
        var destination = new byte[outH * outW];
        MaskResize.Nearest(source, inH, inW, destination, outH, outW);
        return destination;
    }

    [Fact]
    public void Doubling_replicates_each_pixel_into_a_2x2_block()
    {
        byte[] mask = [1, 0, 0, 1];
        Assert.Equal(new byte[] { 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1 }, Resize(mask, 2, 2, 4, 4));
    }

    [Fact]
    public void Source_index_is_floor_of_destination_times_in_over_out()
    {
        // 4 → 2 picks columns/rows 0 and 2; 3 → 2 picks 0 and 1; 2 → 3 picks 0, 0, 1.
        byte[] four = [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0];
        Assert.Equal(new byte[] { 1, 0, 0, 1 }, Resize(four, 4, 4, 2, 2));
        byte[] three = [0, 1, 0, 1, 0, 0, 0, 0, 1];
        Assert.Equal(new byte[] { 0, 1, 1, 0 }, Resize(three, 3, 3, 2, 2));
        Assert.Equal(new byte[] { 0, 0, 1 }, Resize([0, 1], 1, 2, 1, 3));
        // A one-pixel object at an odd column vanishes when halved (the tiny-object case of SemScore §9).
        Assert.Equal(new byte[] { 0, 0 }, Resize([0, 1, 0, 0], 1, 4, 1, 2));
    }

    [Fact]
    public void Same_size_is_the_identity()
    {
        Gen.Int[1, 6].SelectMany(h => Gen.Int[1, 6].SelectMany(w => Gen.Byte[0, 1].Array[h * w].Select(m => (h, w, m))))
            .Sample(t => Assert.Equal(t.m, Resize(t.m, t.h, t.w, t.h, t.w)));
    }

    [Fact]
    public void Wrong_buffer_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => MaskResize.Nearest(new byte[4], 2, 3, new byte[4], 2, 2));
        Assert.Throws<ArgumentException>(() => MaskResize.Nearest(new byte[4], 2, 2, new byte[5], 2, 2));
    }
}
