using Pipeline.Datasets;
using Pipeline.Imaging;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Datasets;

public sealed class ImageDatasetTests : IDisposable
{
    // Only the magic bytes matter to the dataset: decoding happens later, in featurization.
    private static readonly byte[] Png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16];
    private static readonly byte[] Gif = "GIF89a\x01\0\x01\0"u8.ToArray();
    private static readonly byte[] Bmp = [(byte)'B', (byte)'M', 0, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0];

    private readonly ScratchFolder _scratch = new("dataset");

    public void Dispose() => _scratch.Dispose();

    private string Write(string relative, byte[] content) => _scratch.Write(relative, content);

    [Fact]
    public void FolderPerClass_ReadsRecursively_InOrdinalOrder_SniffingTheFormat()
    {
        Write("data/dogs/b.jpg", Jpeg);
        Write("data/dogs/a.png", Png);
        Write("data/cats/nested/deeper/z.gif", Gif);
        Write("data/cats/x.jpg", Bmp); // the extension lies: the bytes say BMP
        Write("data/Zebras/1.png", Png); // 'Z' sorts before 'c' ordinally

        ImageDataset data = ImageDataset.FromFolder(Path.Combine(_scratch.Path, "data"));

        Assert.Equal(["Zebras", "cats", "dogs"], data.Classes);
        Assert.Equal(["Zebras/1.png", "cats/nested/deeper/z.gif", "cats/x.jpg", "dogs/a.png", "dogs/b.jpg"],
            data.Samples.Select(s => Path.GetRelativePath(data.Source, s.Path).Replace('\\', '/')));
        Assert.Equal([0, 1, 1, 2, 2], data.Labels());
        Assert.Equal([ImageFormat.Png, ImageFormat.Gif, ImageFormat.Bmp, ImageFormat.Png, ImageFormat.Jpeg], data.Samples.Select(s => s.Format));
        Assert.Equal([1, 2, 2], data.ClassCounts());
        Assert.Empty(data.Excluded);
    }

    [Fact]
    public void WebpFiles_AreReadAsImages()
    {
        uint[] pixels = Pipeline.Tests.Imaging.Webp.WebpLosslessTests.Picture(5, 3, 0, seed: 1);
        byte[] webp = Pipeline.Tests.Imaging.Webp.WebpFiles.Lossless(pixels, 5, 3);
        string path = Write("data/cats/a.webp", webp);
        Write("data/cats/b.png", Png);
        Write("data/dogs/renamed.jpg", webp); // the bytes say WebP

        ImageDataset data = ImageDataset.FromFolder(Path.Combine(_scratch.Path, "data"));

        Assert.Empty(data.Excluded);
        Assert.Equal([ImageFormat.Webp, ImageFormat.Png, ImageFormat.Webp], data.Samples.Select(s => s.Format));
        Image image = ImageDecoder.Decode(data.Samples[0].Path);
        Assert.Equal((5, 3), (image.Width, image.Height));
        Assert.Equal(path, data.Samples[0].Path);
    }

    [Fact]
    public void UnusableFiles_AreExcludedLoudly_WithTheReason()
    {
        Write("data/cats/ok.png", Png);
        Write("data/cats/notes.txt", "hello"u8.ToArray());
        Write("data/cats/empty.jpg", []);
        Write("data/dogs/ok.jpg", Jpeg);
        Write("data/README.md", "# data"u8.ToArray());
        Write("data/.git/config", "x"u8.ToArray());
        Write("data/birds/only-text.txt", "x"u8.ToArray());
        Directory.CreateDirectory(Path.Combine(_scratch.Path, "data", "fish"));

        ImageDataset data = ImageDataset.FromFolder(Path.Combine(_scratch.Path, "data"));

        Assert.Equal(["cats", "dogs"], data.Classes);
        Assert.Equal(2, data.Count);
        string Reason(string suffix) => Assert.Single(data.Excluded, e => e.Path.Replace('\\', '/').EndsWith(suffix, StringComparison.Ordinal)).Reason;
        Assert.Contains("not a JPEG, PNG, BMP, GIF or WebP", Reason("cats/notes.txt"));
        Assert.Contains("68656C6C6F", Reason("cats/notes.txt")); // the first bytes, in hex
        Assert.Contains("empty", Reason("cats/empty.jpg"));
        Assert.Contains("directly in the dataset folder", Reason("data/README.md"));
        Assert.Contains("hidden folder", Reason("data/.git"));
        Assert.Contains("no files", Reason("data/fish"));
        Assert.Contains("not a JPEG", Reason("birds/only-text.txt"));
        Assert.Contains("class 'birds' has no usable image: its only file is not a JPEG, PNG, BMP, GIF or WebP image", Reason("data/birds"));
        // Set aside, named, for the trainer to refuse: not dropped in silence.
        Assert.Equal(["birds", "fish"], data.UnusableClasses.Select(c => c.Name));
        Assert.Equal("its folder holds no files", data.UnusableClasses[1].Reason);
    }

    [Fact]
    public void AFolderWithoutClassFolders_IsATypedError()
    {
        Write("flat/a.png", Png);
        var e = Assert.Throws<InvalidDatasetException>(() => ImageDataset.FromFolder(Path.Combine(_scratch.Path, "flat")));
        Assert.Contains("subfolder named after the class", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => ImageDataset.FromFolder(Path.Combine(_scratch.Path, "missing")));
        Assert.Throws<FileNotFoundException>(() => ImageDataset.Load(Path.Combine(_scratch.Path, "missing")));
    }

    [Fact]
    public void NonImagesOnly_IsATypedErrorNamingTheFirstExclusion()
    {
        Write("data/cats/a.txt", "text"u8.ToArray());
        Write("data/dogs/b.txt", "text"u8.ToArray());
        var e = Assert.Throws<InvalidDatasetException>(() => ImageDataset.FromFolder(Path.Combine(_scratch.Path, "data")));
        Assert.Contains("a.txt", e.Message);
        Assert.Contains("2 file(s) excluded", e.Message); // the files, not the notes on the classes left out
    }

    [Fact]
    public void SymbolicLinkLoops_AreReadOnce()
    {
        if (OperatingSystem.IsWindows()) Assert.Skip("creating symbolic links needs privileges on Windows");
        Write("data/cats/a.png", Png);
        Directory.CreateSymbolicLink(Path.Combine(_scratch.Path, "data", "cats", "loop"), Path.Combine(_scratch.Path, "data", "cats"));
        string elsewhere = Path.GetDirectoryName(Write("elsewhere/b.jpg", Jpeg))!;
        Directory.CreateSymbolicLink(Path.Combine(_scratch.Path, "data", "dogs"), elsewhere);

        ImageDataset data = ImageDataset.FromFolder(Path.Combine(_scratch.Path, "data"));

        Assert.Equal(["cats", "dogs"], data.Classes);
        Assert.Equal(2, data.Count);
        Assert.Contains(data.Excluded, e => e.Reason.Contains("already read", StringComparison.Ordinal));
    }

    [Fact]
    public void AClassFolderLinkedUnderAnotherName_IsReadOnceUnderItsOwnName()
    {
        if (OperatingSystem.IsWindows()) Assert.Skip("creating symbolic links needs privileges on Windows");
        Write("data/real/a.png", Png);
        Write("data/zebra/b.png", Png);
        string alias = Path.Combine(_scratch.Path, "data", "alias");
        Directory.CreateSymbolicLink(alias, Path.Combine(_scratch.Path, "data", "real")); // sorts first, yet is the link

        ImageDataset data = ImageDataset.FromFolder(Path.Combine(_scratch.Path, "data"));

        Assert.Equal(["real", "zebra"], data.Classes);
        Assert.Equal(2, data.Count);
        ExcludedFile link = Assert.Single(data.Excluded);
        Assert.Equal(alias, link.Path);
        Assert.Contains("a link to the class folder 'real'", link.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void ACsvManifestWithAnotherSeparator_SaysWhyEveryRowWasLeftOut()
    {
        Write("set/img/one.png", Png);
        string manifest = Write("set/list.csv", "img/one.png;circle\n"u8.ToArray());
        var e = Assert.Throws<InvalidDatasetException>(() => ImageDataset.Load(manifest));
        Assert.Contains("1 row(s) left out, the first:", e.Message);
        Assert.Contains("line 1 has 1 field(s); a path and a label are needed (a .csv separates them with a comma", e.Message);
    }

    [Fact]
    public void CsvManifest_WithHeader_QuotedFields_RelativeAndAbsolutePaths()
    {
        Write("set/img/one.png", Png);
        Write("set/img/two, with comma.jpg", Jpeg);
        string absolute = Write("other/three.gif", Gif);
        string manifest = Write("set/list.csv", System.Text.Encoding.UTF8.GetBytes(
            "label,path\n" +
            "circle,img/one.png\n" +
            "\"square\",\"img/two, with comma.jpg\"\n" +
            $"circle,\"{absolute}\"\n"));

        ImageDataset data = ImageDataset.Load(manifest);

        Assert.Equal(["circle", "square"], data.Classes);
        Assert.Equal(3, data.Count);
        Assert.Equal([0, 0, 1], data.Labels());
        Assert.Contains(data.Samples, s => s.Path.EndsWith("two, with comma.jpg", StringComparison.Ordinal) && s.Label == 1);
        Assert.Empty(data.Excluded);
    }

    [Fact]
    public void TsvManifest_WithoutHeader_ExcludesBadRowsWithTheirLine()
    {
        Write("set/a.png", Png);
        Write("set/b.png", Png);
        Write("set/c.jpg", Jpeg);
        Write("set/text.txt", "x"u8.ToArray());
        string manifest = Write("set/list.tsv", System.Text.Encoding.UTF8.GetBytes(
            "a.png\tcircle\n" +
            "b.png\t \n" +          // no label
            "missing.png\tcircle\n" +
            "onlyonefield\n" +
            "a.png\tcircle\n" +      // listed twice
            "text.txt\tsquare\n" +
            "c.jpg\tsquare\n"));

        ImageDataset data = ImageDataset.FromManifest(manifest);

        Assert.Equal(["circle", "square"], data.Classes);
        Assert.Equal(2, data.Count);
        Assert.Contains(data.Excluded, e => e.Reason.StartsWith("line 2:", StringComparison.Ordinal) && e.Reason.Contains("empty", StringComparison.Ordinal));
        Assert.Contains(data.Excluded, e => e.Reason == "line 3: the file does not exist");
        Assert.Contains(data.Excluded, e => e.Reason.StartsWith("line 4 has 1 field", StringComparison.Ordinal));
        Assert.Contains(data.Excluded, e => e.Reason.Contains("listed again (first on line 1)", StringComparison.Ordinal));
        Assert.Contains(data.Excluded, e => e.Path.EndsWith("text.txt", StringComparison.Ordinal) && e.Reason.Contains("not a JPEG", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("utf-16le", "list.txt", "\t")] // Excel's "Unicode Text": UTF-16 LE with a BOM, tab-separated
    [InlineData("utf-16BE", "list.csv", ",")]
    [InlineData("utf-8", "list.csv", ",")]
    public void ManifestsInUnicodeWithAByteOrderMark_AreRead(string encodingName, string name, string separator)
    {
        Write("set/img/één.png", Png);
        Write("set/img/b.jpg", Jpeg);
        System.Text.Encoding encoding = System.Text.Encoding.GetEncoding(encodingName);
        string text = $"path{separator}label\r\nimg/één.png{separator}círculo\r\nimg/b.jpg{separator}square\r\n";
        string manifest = Write($"set/{name}", [.. encoding.GetPreamble(), .. encoding.GetBytes(text)]);

        ImageDataset data = ImageDataset.Load(manifest);

        Assert.Equal(["círculo", "square"], data.Classes);
        Assert.Equal([Path.Combine(_scratch.Path, "set", "img", "één.png"), Path.Combine(_scratch.Path, "set", "img", "b.jpg")], data.Samples.Select(s => s.Path));
        Assert.Empty(data.Excluded);
    }

    [Fact]
    public void MalformedCsv_IsATypedErrorWithTheLine()
    {
        Write("set/a.png", Png);
        string manifest = Write("set/bad.csv", "a.png,circle\n\"a.png,circle\n"u8.ToArray());
        var e = Assert.Throws<InvalidDatasetException>(() => ImageDataset.FromManifest(manifest));
        Assert.Contains("bad.csv", e.Message);
        Assert.True(e.Line >= 1);
    }

    [Fact]
    public void WithClasses_RenumbersToAModelsLabels_AndAppendsUnknownClasses()
    {
        Write("data/cats/a.png", Png);
        Write("data/dogs/b.png", Png);
        Write("data/owls/c.png", Png);
        ImageDataset data = ImageDataset.FromFolder(Path.Combine(_scratch.Path, "data"));

        ImageDataset mapped = data.WithClasses(["dogs", "cats", "bats"]);

        Assert.Equal(["dogs", "cats", "bats", "owls"], mapped.Classes);
        Assert.Equal([1, 0, 3], mapped.Labels());
    }
}
