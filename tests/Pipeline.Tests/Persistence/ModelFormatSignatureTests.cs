using System.IO.Compression;
using Pipeline.Persistence;

namespace Pipeline.Tests.Persistence;

/// <summary><see cref="ModelFormat.IsModelPackageFile"/> tells a model.zip from any other file by its first bytes.</summary>
public sealed class ModelFormatSignatureTests
{
    [Fact]
    public void A_saved_package_and_a_hand_written_one_are_recognized()
    {
        using var folder = new ScratchFolder("signature");
        PackageSamples.Full().Save(folder.File("model.zip"), TestContext.Current.CancellationToken);
        Assert.True(ModelFormat.IsModelPackageFile(folder.File("model.zip")));
        File.WriteAllBytes(folder.File("raw.zip"), PackageSamples.RawPackage(("head/w.bin", [1, 2, 3])));
        Assert.True(ModelFormat.IsModelPackageFile(folder.File("raw.zip")));
    }

    [Fact]
    public void Other_files_are_not()
    {
        using var folder = new ScratchFolder("signature");
        File.WriteAllText(folder.File("notes.txt"), "my notes");
        Assert.False(ModelFormat.IsModelPackageFile(folder.File("notes.txt")));
        Assert.False(ModelFormat.IsModelPackageFile(folder.File("absent.zip")));
        File.WriteAllBytes(folder.File("empty.zip"), []);
        Assert.False(ModelFormat.IsModelPackageFile(folder.File("empty.zip")));

        // A zip, but an ordinary one (deflated, other entries) or one whose manifest claims another format.
        using (ZipArchive zip = ZipFile.Open(folder.File("photos.zip"), ZipArchiveMode.Create))
            using (var writer = new StreamWriter(zip.CreateEntry("manifest.json").Open())) writer.Write("""{"format":"pipeline-model"}""");
        Assert.False(ModelFormat.IsModelPackageFile(folder.File("photos.zip")));
        File.WriteAllBytes(folder.File("other.zip"), new RawZip().Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([], format: "other-model"))).Build());
        Assert.False(ModelFormat.IsModelPackageFile(folder.File("other.zip")));
        File.WriteAllBytes(folder.File("second.zip"), new RawZip().Add(RawZip.Stored("readme.txt", [1])).Add(RawZip.Stored("manifest.json", PackageSamples.Manifest([]))).Build());
        Assert.False(ModelFormat.IsModelPackageFile(folder.File("second.zip")));
    }
}

/// <summary>Loading a file that is not a package at all says so, rather than reporting a damaged package.</summary>
public sealed class NotAPackageTests
{
    [Fact]
    public void A_file_without_a_zip_header_is_named_as_the_wrong_kind_of_file()
    {
        using var folder = new ScratchFolder("not-a-package");
        File.WriteAllText(folder.File("notes.zip"), "my notes");
        InvalidModelPackageException e = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Load(folder.File("notes.zip")));
        Assert.Contains("not a model package", e.Message);
        Assert.Contains(folder.File("notes.zip"), e.Message);

        // A TFLite network with metadata ends with a zip of its labels: that zip must not be taken for a damaged package.
        byte[] tflite = [0x1C, 0, 0, 0, (byte)'T', (byte)'F', (byte)'L', (byte)'3', .. PackageSamples.RawPackage(("head/w.bin", [1, 2, 3]))];
        File.WriteAllBytes(folder.File("net.tflite"), tflite);
        e = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Load(folder.File("net.tflite")));
        Assert.Contains("TFLite network", e.Message);
        Assert.Contains("--backbone", e.Message);
    }

    [Fact]
    public void A_folder_is_named_as_a_folder()
    {
        using var folder = new ScratchFolder("folder-as-package");
        Directory.CreateDirectory(folder.File("model.zip"));
        InvalidModelPackageException e = Assert.Throws<InvalidModelPackageException>(() => ModelPackage.Load(folder.File("model.zip")));
        Assert.Contains("is a folder", e.Message);
        Assert.Contains(folder.File("model.zip"), e.Message);
        Assert.Throws<InvalidModelPackageException>(() => Pipeline.Prediction.ImageClassifier.Load(folder.File("model.zip")));
        Assert.Contains("is a folder", Assert.Throws<InvalidModelPackageException>(() => new Pipeline.Prediction.ReloadingImageClassifier(folder.File("model.zip"))).Message);
    }
}
