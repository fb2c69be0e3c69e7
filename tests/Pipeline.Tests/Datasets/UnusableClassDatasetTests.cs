using Pipeline.Datasets;
using Pipeline.Tests.Persistence;

namespace Pipeline.Tests.Datasets;

/// <summary>
/// A class with no usable image, whatever the reason (formats the decoders do not read, not images, a missing file, an
/// empty folder), is set aside by name with why, never dropped in silence; hidden entries are not read at any depth.
/// </summary>
public sealed class UnusableClassDatasetTests : IDisposable
{
    // The sniffer reads only the first bytes (see Imaging/UnsupportedFormat.cs): a header is a HEIC or TIFF file to it.
    internal static readonly byte[] Heic = [0, 0, 0, 0x18, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8];
    internal static readonly byte[] Tiff = [.. "II*\0"u8, 8, 0, 0, 0, 0, 0];
    internal static readonly byte[] Avif = [0, 0, 0, 0x1C, .. "ftypavif"u8, 0, 0, 0, 0, .. "avifmif1miaf"u8];
    internal static readonly byte[] Jp2 = [0, 0, 0, 0x0C, .. "jP  "u8, 0x0D, 0x0A, 0x87, 0x0A];
    private static readonly byte[] Png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

    private readonly ScratchFolder _scratch = new("unusable-dataset");

    public void Dispose() => _scratch.Dispose();

    private string Write(string relative, byte[] content) => _scratch.Write(relative, content);

    private string Data => Path.Combine(_scratch.Path, "data");

    [Fact]
    public void AFolderOfUnsupportedFormats_IsAnUnusableClass_NamingItsFilesByReason()
    {
        Write("data/circles/a.png", Png);
        Write("data/squares/a.png", Png);
        for (int i = 0; i < 3; i++)
        {
            Write($"data/heic/{i}.heic", Heic);
            Write($"data/heic/{i}.tif", Tiff);
        }

        ImageDataset data = ImageDataset.FromFolder(Data);

        Assert.Equal(["circles", "squares"], data.Classes);
        UnusableClass heic = Assert.Single(data.UnusableClasses);
        Assert.Equal("heic", heic.Name);
        Assert.Equal(Path.Combine(Data, "heic"), heic.Path);
        Assert.Equal(6, heic.Files.Count);
        Assert.Equal("of its 6 files, 3 are a HEIC image (as iPhones save photos), not supported (export or convert it to JPEG), "
            + $"e.g. {Path.Combine(Data, "heic", "0.heic")}; 3 are a TIFF image (or a camera raw file, which is built on TIFF), not supported "
            + $"(convert it to PNG or JPEG), e.g. {Path.Combine(Data, "heic", "0.tif")}; only JPEG, PNG, BMP, GIF or WebP images are read", heic.Reason);
        Assert.StartsWith("class 'heic' has no usable image: of its 6 files, 3 are a HEIC image", heic.Message, StringComparison.Ordinal);
        // Each file is still listed with its own reason, and the class after them.
        Assert.Equal(7, data.Excluded.Count);
        Assert.Equal(heic.Path, data.Excluded[^1].Path);
        Assert.EndsWith("; the class is left out", data.Excluded[^1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void OneReasonForEveryFile_IsSaidOnce_AndManyReasonsAreCapped()
    {
        Write("data/ok/a.png", Png);
        Write("data/one/only.avif", Avif);
        Write("data/same/a.jp2", Jp2);
        Write("data/same/b.jp2", Jp2);
        Write("data/mixed/1.heic", Heic);
        Write("data/mixed/2.tif", Tiff);
        Write("data/mixed/3.avif", Avif);
        Write("data/mixed/4.jp2", Jp2);
        Write("data/mixed/5.txt", "hello"u8.ToArray());
        Write("data/mixed/6.txt", "world"u8.ToArray());
        Write("data/mixed/7.bin", []);

        ImageDataset data = ImageDataset.FromFolder(Data);

        Assert.Equal(["ok"], data.Classes);
        string Reason(string name) => Assert.Single(data.UnusableClasses, c => c.Name == name).Reason;
        Assert.StartsWith("its only file is an AVIF image, which is not supported: only JPEG, PNG, BMP, GIF or WebP images are read", Reason("one"), StringComparison.Ordinal);
        Assert.StartsWith("its 2 files are a JPEG 2000 image, which is not supported", Reason("same"), StringComparison.Ordinal);
        string mixed = Reason("mixed");
        Assert.StartsWith("of its 7 files, 1 is a HEIC image", mixed, StringComparison.Ordinal);
        Assert.Contains("; 1 is a TIFF image", mixed, StringComparison.Ordinal);
        Assert.Contains("; 1 is a JPEG 2000 image", mixed, StringComparison.Ordinal);
        Assert.EndsWith("; 3 more for other reasons; only JPEG, PNG, BMP, GIF or WebP images are read", mixed, StringComparison.Ordinal);
    }

    [Fact]
    public void NotImages_VaryingOnlyInTheirFirstBytes_AreOneReason_WithTheBytesInTheExample()
    {
        Write("data/ok/a.png", Png);
        Write("data/notes/a.txt", "hello"u8.ToArray());
        Write("data/notes/b.txt", "world"u8.ToArray());

        UnusableClass notes = Assert.Single(ImageDataset.FromFolder(Data).UnusableClasses);

        Assert.Equal($"its 2 files are not a JPEG, PNG, BMP, GIF or WebP image, e.g. {Path.Combine(Data, "notes", "a.txt")} (starts with 68656C6C6F)", notes.Reason);
    }

    [Fact]
    public void WithoutUnusableClasses_AcceptsThemAsLeftOut_AndKeepsThemListed()
    {
        Write("data/circles/a.png", Png);
        Write("data/squares/a.png", Png);
        Write("data/heic/a.heic", Heic);
        ImageDataset data = ImageDataset.FromFolder(Data);

        ImageDataset accepted = data.WithoutUnusableClasses();

        Assert.Empty(accepted.UnusableClasses);
        Assert.Equal(data.Classes, accepted.Classes);
        Assert.Equal(data.Excluded, accepted.Excluded);
        Assert.Equal("heic", Assert.Single(accepted.LeftOutClasses).Name);
        Assert.Single(data.UnusableClasses); // the original is unchanged
        Assert.Same(accepted, accepted.WithoutUnusableClasses());
    }

    [Fact]
    public void HiddenFilesAndFolders_AreNotRead_AtAnyDepth()
    {
        Write("data/circles/a.png", Png);
        Write("data/circles/.DS_Store", "\0\0\0\u0001Bud1"u8.ToArray());
        Write("data/circles/._a.png", [0, 5, 0x16, 7, 0, 2, 0, 0]); // macOS's AppleDouble file beside a.png
        Write("data/circles/.hiddensub/b.png", Png);
        Write("data/circles/nested/.c.png", Png);
        Write("data/circles/nested/d.png", Png);
        Write("data/squares/a.png", Png);
        Write("data/.DS_Store", "x"u8.ToArray());
        Write("data/.thumbnails/t.png", Png);

        ImageDataset data = ImageDataset.FromFolder(Data);

        Assert.Equal(["circles", "squares"], data.Classes);
        Assert.Equal(["circles/a.png", "circles/nested/d.png", "squares/a.png"],
            data.Samples.Select(s => Path.GetRelativePath(Data, s.Path).Replace('\\', '/')));
        // A hidden folder or file is listed (it may hold images the user expects read); the system's metadata files are not.
        Assert.Equal([(Path.Combine(Data, ".thumbnails"), "hidden folder: not read as a class"), (Path.Combine(Data, "circles", ".hiddensub"), "hidden folder: not read"),
                (Path.Combine(Data, "circles", "nested", ".c.png"), "hidden file: not read (its name starts with '.'; rename it to use it)")],
            data.Excluded.Select(e => (e.Path, e.Reason)));
        Assert.Empty(data.UnusableClasses);
    }

    [Fact]
    public void AClassFolderHoldingOnlyHiddenEntries_SaysSo()
    {
        Write("data/circles/a.png", Png);
        Write("data/squares/.DS_Store", "x"u8.ToArray());
        Write("data/squares/.hidden/a.png", Png);

        UnusableClass squares = Assert.Single(ImageDataset.FromFolder(Data).UnusableClasses);

        Assert.Equal("squares", squares.Name);
        Assert.Empty(squares.Files);
        Assert.Equal("its folder holds only hidden files or folders (names starting with '.'), which are not read", squares.Reason);
    }

    [Fact]
    public void PredictionFoldersSkipHiddenEntriesToo()
    {
        Write("photos/a.png", Png);
        Write("photos/.DS_Store", "x"u8.ToArray());
        Write("photos/.cache/b.png", Png);

        (List<string> files, List<ExcludedFile> excluded) = FolderReader.ReadTree(Path.Combine(_scratch.Path, "photos"));

        Assert.Equal([Path.Combine(_scratch.Path, "photos", "a.png")], files);
        Assert.Equal(Path.Combine(_scratch.Path, "photos", ".cache"), Assert.Single(excluded).Path);
    }

    [Fact]
    public void AManifestLabelNoneOfWhoseRowsIsUsable_IsAnUnusableClass()
    {
        Write("set/a.png", Png);
        Write("set/b.png", Png);
        Write("set/c.heic", Heic);
        string manifest = Write("set/list.csv", "a.png,circle\nb.png,square\nc.heic,photo\nmissing.jpg,photo\na.png,triangle\n"u8.ToArray());

        ImageDataset data = ImageDataset.FromManifest(manifest);

        Assert.Equal(["circle", "square"], data.Classes);
        Assert.Equal(["photo", "triangle"], data.UnusableClasses.Select(c => c.Name));
        UnusableClass photo = data.UnusableClasses[0];
        Assert.Equal(manifest, photo.Path);
        Assert.Equal(2, photo.Files.Count);
        Assert.StartsWith($"of its 2 files, 1 does not exist, e.g. {Path.Combine(_scratch.Path, "set", "missing.jpg")} (line 4); 1 is a HEIC image", photo.Reason, StringComparison.Ordinal);
        Assert.StartsWith("its only file was left out: listed again (first on line 1)", data.UnusableClasses[1].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void FilesGivenInCode_ThatAllFail_AreAnUnusableClass()
    {
        string a = Write("code/a.png", Png), b = Write("code/b.png", Png);
        ImageDataset data = ImageDataset.FromFiles([(a, "circle"), (b, "square"), (Path.Combine(_scratch.Path, "code", "gone.png"), "star")]);
        UnusableClass star = Assert.Single(data.UnusableClasses);
        Assert.Equal("star", star.Name);
        Assert.StartsWith("its only file does not exist", star.Reason, StringComparison.Ordinal);
    }
}
