using Pipeline.Featurizers.Pooling;

namespace Pipeline.Tests.Featurizers.Pooling;

public sealed class PoolingSpecTests
{
    [Theory]
    [InlineData("gap", "gap")]
    [InlineData(" GMP ", "gmp")]
    [InlineData("concat", "concat")]
    [InlineData("gem", "gem:3")]
    [InlineData("gem:3", "gem:3")]
    [InlineData("gem:2.5", "gem:2.5")]
    [InlineData("spp", "spp:1,2,4:max")]
    [InlineData("spp:avg", "spp:1,2,4:avg")]
    [InlineData("spp:1,3", "spp:1,3:max")]
    [InlineData("spp:1,2:avg", "spp:1,2:avg")]
    public void Parses_to_canonical_form(string text, string canonical)
    {
        PoolingSpec spec = PoolingSpec.Parse(text);
        Assert.Equal(canonical, spec.ToString());
        Assert.Equal(spec, PoolingSpec.Parse(spec.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("avg")]
    [InlineData("gap:2")]
    [InlineData("gem:x")]
    [InlineData("gem:0")]
    [InlineData("gem:-1")]
    [InlineData("gem:NaN")]
    [InlineData("gem:100")]
    [InlineData("spp:0")]
    [InlineData("spp:1,,2")]
    [InlineData("spp:1,2:median")]
    [InlineData("spp:max:1,2")]
    [InlineData("spp:1,2,4:max:avg")]
    [InlineData("spp:17")]
    public void Rejects_malformed_strings_with_the_forms(string text)
    {
        var e = Assert.Throws<FormatException>(() => PoolingSpec.Parse(text));
        Assert.Contains("gem[:p]", e.Message);
    }

    [Fact]
    public void Dimensions_count_cells_and_channels()
    {
        Assert.Equal(1280, PoolingSpec.Parse("gap").Dimension(1280));
        Assert.Equal(2560, PoolingSpec.Parse("concat").Dimension(1280));
        Assert.Equal(1280 * 21, PoolingSpec.Parse("spp").Dimension(1280));
        Assert.Equal(10 * (1 + 9), PoolingSpec.Parse("spp:1,3").Dimension(10));
    }
}
