using System.Text;
using System.Text.Json;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>What train and retrain make of the data as a user hands it over: Excel's UTF-16 manifest is read.</summary>
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
