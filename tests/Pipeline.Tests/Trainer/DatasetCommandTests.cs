using System.Text;
using System.Text.Json;
using Pipeline.Tests.Datasets;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>
/// What train and retrain make of the data as a user hands it over: a class folder with no usable image is refused by
/// name whatever the reason (HEIC and TIFF as corrupt JPEGs), hidden entries are not trained on, and Excel's UTF-16
/// manifest is read.
/// </summary>
public sealed class DatasetCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dataset-cli-").FullName;
    private static readonly string Shapes = Path.Combine(SharedData.RepoRoot, "data", "shapes");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static JsonElement Last(string text) => JsonDocument.Parse(text.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1]).RootElement;

    /// <summary>The first <paramref name="count"/> images of each shape class named.</summary>
    private string Copy(string name, int count, params string[] classes)
    {
        string root = Path.Combine(_dir, name);
        foreach (string label in classes)
        {
            string target = Directory.CreateDirectory(Path.Combine(root, label)).FullName;
            foreach (string file in Directory.GetFiles(Path.Combine(Shapes, label)).Order(StringComparer.Ordinal).Take(count))
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        return root;
    }

    /// <summary>A class folder 'heic' of 3 HEIC and 3 TIFF photos (their headers: all the reader looks at).</summary>
    private static void AddHeicFolder(string root)
    {
        string heic = Directory.CreateDirectory(Path.Combine(root, "heic")).FullName;
        for (int i = 1; i <= 3; i++)
        {
            File.WriteAllBytes(Path.Combine(heic, $"IMG_000{i}.HEIC"), UnusableClassDatasetTests.Heic);
            File.WriteAllBytes(Path.Combine(heic, $"scan{i}.tif"), UnusableClassDatasetTests.Tiff);
        }
    }

    private static void AssertHeicRefusal(string error)
    {
        Assert.Contains("class 'heic' has no usable image: of its 6 files, 3 are a HEIC image (as iPhones save photos), not supported (export or convert it to JPEG), e.g. ", error, StringComparison.Ordinal);
        Assert.Contains("; 3 are a TIFF image (or a camera raw file, which is built on TIFF), not supported (convert it to PNG or JPEG), e.g. ", error, StringComparison.Ordinal);
        Assert.Contains("give each class at least one image that decodes, or take the class out of the data", error, StringComparison.Ordinal);
        Assert.DoesNotContain("at least two classes", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Train_refuses_a_class_folder_of_HEIC_and_TIFF_photos_naming_it_its_files_and_why()
    {
        string data = Copy("ds1", 10, "circles", "squares", "stripes", "triangles");
        AddHeicFolder(data);
        string model = Path.Combine(_dir, "ds1.zip");

        (int exit, string output, string error) = TrainerCli.Run("train", "--data", data, "--out", model, "--no-cache");

        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Equal("", output);
        AssertHeicRefusal(error);
        Assert.False(File.Exists(model));

        (exit, _, error) = TrainerCli.Run("train", "--data", data, "--out", model, "--no-cache", "--json");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        AssertHeicRefusal(JsonDocument.Parse(error).RootElement.GetProperty("error").GetString()!);
    }

    [Fact]
    public void With_one_class_left_the_refusal_still_names_the_unusable_class_not_the_class_count()
    {
        string data = Copy("one", 6, "circles");
        AddHeicFolder(data);
        (int exit, _, string error) = TrainerCli.Run("train", "--data", data, "--out", Path.Combine(_dir, "one.zip"), "--no-cache");
        Assert.Equal(ExitCodes.InvalidInput, exit);
        AssertHeicRefusal(error);
    }

    [Fact]
    public void A_class_of_images_that_do_not_decode_is_refused_the_same_way()
    {
        string data = Copy("broken", 6, "circles", "squares");
        string broken = Directory.CreateDirectory(Path.Combine(data, "broken")).FullName;
        // PNG signatures, so the reader takes them as images; the data ends long before the pixels do.
        string[] triangles = Directory.GetFiles(Path.Combine(Shapes, "triangles")).Order(StringComparer.Ordinal).ToArray();
        for (int i = 0; i < 3; i++) File.WriteAllBytes(Path.Combine(broken, $"{i}.png"), File.ReadAllBytes(triangles[i])[..300]);
        File.WriteAllBytes(Path.Combine(broken, "3.heic"), UnusableClassDatasetTests.Heic);

        (int exit, string output, string error) = TrainerCli.Run("train", "--data", data, "--out", Path.Combine(_dir, "b.zip"), "--no-cache");

        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Equal("", output);
        Assert.Contains($"class 'broken' has no usable image: of its 4 files, 3 could not be decoded, e.g. {Path.Combine(broken, "0.png")} (invalid Png image", error, StringComparison.Ordinal);
        Assert.Contains("; 1 is a HEIC image (as iPhones save photos), which is not supported", error, StringComparison.Ordinal);
        Assert.Contains("give each class at least one image that decodes, or take the class out of the data", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Retrain_refuses_a_class_folder_of_HEIC_and_TIFF_photos_and_leaves_the_model_untouched()
    {
        string data = Copy("retrain", 8, "circles", "squares");
        string model = Path.Combine(_dir, "r.zip");
        (int exit, _, string error) = TrainerCli.Run("train", "--data", data, "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        byte[] before = File.ReadAllBytes(model);
        AddHeicFolder(data);

        (exit, string output, error) = TrainerCli.Run("retrain", "--model", model, "--data", data, "--out", model, "--no-cache");

        Assert.Equal(ExitCodes.InvalidInput, exit);
        Assert.Equal("", output);
        AssertHeicRefusal(error);
        Assert.Equal(before, File.ReadAllBytes(model));
    }

    [Fact]
    public void Hidden_files_and_folders_in_a_class_folder_are_not_trained_on()
    {
        string data = Copy("hidden", 8, "circles", "squares");
        // Squares hidden among the circles would teach the model wrong: they are not read.
        string hiddenFolder = Directory.CreateDirectory(Path.Combine(data, "circles", ".hiddensub")).FullName;
        foreach (string file in Directory.GetFiles(Path.Combine(Shapes, "squares")).Order(StringComparer.Ordinal).Skip(8).Take(4))
            File.Copy(file, Path.Combine(hiddenFolder, Path.GetFileName(file)));
        File.Copy(Directory.GetFiles(Path.Combine(Shapes, "squares"))[0], Path.Combine(data, "circles", ".square.png"));
        File.WriteAllBytes(Path.Combine(data, "circles", ".DS_Store"), [0, 0, 0, 1, .. "Bud1"u8]);

        (int exit, string output, string error) = TrainerCli.Run("train", "--data", data, "--out", Path.Combine(_dir, "h.zip"), "--no-cache", "--json");

        Assert.True(exit == 0, error);
        JsonElement trained = Last(output);
        Assert.Equal(16, trained.GetProperty("trainingImages").GetInt32() + trained.GetProperty("validationImages").GetInt32());
        // Both are listed, so an image hidden by mistake is not lost without a word; .DS_Store, the system's, is not.
        Assert.Equal([(hiddenFolder, "hidden folder: not read"), (Path.Combine(data, "circles", ".square.png"), "hidden file: not read (its name starts with '.'; rename it to use it)")],
            trained.GetProperty("excluded").EnumerateArray().Select(e => (e.GetProperty("path").GetString(), e.GetProperty("reason").GetString())));
    }

    [Theory]
    [InlineData("utf-16", "list.txt", "\t")] // Excel's "Unicode Text": UTF-16 LE with a BOM (FF FE), tab-separated
    [InlineData("utf-16BE", "list.csv", ",")] // BOM FE FF
    [InlineData("utf-8", "list.csv", ",")] // BOM EF BB BF
    public void A_manifest_in_UTF16_or_UTF8_with_a_byte_order_mark_is_read(string encodingName, string name, string separator)
    {
        string data = Copy("manifest", 8, "circles", "squares");
        var text = new StringBuilder($"path{separator}label\r\n");
        foreach (string file in Directory.GetFiles(data, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            text.Append($"{Path.GetRelativePath(data, file)}{separator}{Path.GetFileName(Path.GetDirectoryName(file))}\r\n");
        Encoding encoding = Encoding.GetEncoding(encodingName);
        string manifest = Path.Combine(data, name);
        File.WriteAllBytes(manifest, [.. encoding.GetPreamble(), .. encoding.GetBytes(text.ToString())]);

        (int exit, string output, string error) = TrainerCli.Run("train", "--data", manifest, "--out", Path.Combine(_dir, "m.zip"), "--no-cache", "--json");

        Assert.True(exit == 0, error);
        JsonElement trained = Last(output);
        Assert.Equal(["circles", "squares"], trained.GetProperty("classes").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(16, trained.GetProperty("trainingImages").GetInt32() + trained.GetProperty("validationImages").GetInt32());
        Assert.Equal(0, trained.GetProperty("excludedCount").GetInt32());
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE, (byte)'a', 0, 0, 0, (byte)'b', 0 })] // a UTF-16 BOM, then a NUL character
    [InlineData(new byte[] { (byte)'a', (byte)',', 0, 1, 2 })]
    public void A_binary_file_is_still_refused_as_such(byte[] content)
    {
        string file = Path.Combine(_dir, "list.csv");
        File.WriteAllBytes(file, content);
        (int exit, _, string error) = TrainerCli.Run("train", "--data", file, "--out", Path.Combine(_dir, "x.zip"), "--no-cache");
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains($"--data {file}: is a binary file", error, StringComparison.Ordinal);
    }
}
