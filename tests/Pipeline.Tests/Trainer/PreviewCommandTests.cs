using System.CommandLine;
using Pipeline.Imaging;
using Pipeline.Imaging.Processing;
using Pipeline.Tests.Infrastructure;
using Trainer.Commands;

namespace Pipeline.Tests.Trainer;

/// <summary>The <c>preview</c> command writes the model's view of an image as a PNG; failures leave --out alone.</summary>
public sealed class PreviewCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("preview-cli-").FullName;
    private static readonly string Circle = Directory.GetFiles(Path.Combine(SharedData.RepoRoot, "data", "shapes", "circles"))[0];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args) => TrainerCli.Run(args);

    [Fact]
    public void WritesThePixelsTheModelSeesAndTheRawImageOnRequest()
    {
        string png = Path.Combine(_dir, "view.png");
        (int exit, _, string error) = Run("preview", Circle, "--out", png, "--size", "40", "--mode", "IsoPad", "--anchor", "Top");
        Assert.True(exit == 0, error);
        Image written = ImageDecoder.Decode(png);
        Image expected = new ImagePreprocessing { Width = 40, Height = 40, Mode = ResizeMode.IsoPad, Anchor = CropAnchor.Top }.Render(ImageDecoder.Decode(Circle));
        Assert.Equal((40, 40), (written.Width, written.Height));
        Assert.Equal(expected.Pixels, written.Pixels);

        (exit, _, error) = Run("preview", Circle, "--out", png, "--raw");
        Assert.True(exit == 0, error);
        Image source = ImageDecoder.Decode(Circle);
        Assert.Equal((source.Width, source.Height), (ImageDecoder.Decode(png).Width, ImageDecoder.Decode(png).Height));
    }

    [Fact]
    public void WithAModelItShowsTheImageAsThatModelPreparesIt()
    {
        string model = Path.Combine(_dir, "model.zip"), png = Path.Combine(_dir, "model-view.png");
        (int exit, _, string error) = Run("train", "--data", Path.Combine(SharedData.RepoRoot, "data", "shapes"), "--out", model, "--no-cache");
        Assert.True(exit == 0, error);
        (exit, _, error) = Run("preview", Circle, "--model", model, "--out", png);
        Assert.True(exit == 0, error);
        using var classifier = Pipeline.Prediction.ImageClassifier.Load(model);
        Assert.Equal(classifier.Info.Preprocessing.Render(ImageDecoder.Decode(Circle)).Pixels, ImageDecoder.Decode(png).Pixels);

        File.Delete(png);
        (exit, _, error) = Run("preview", Circle, "--model", model, "--size", "40", "--out", png);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("--size does not apply with --model", error);
        (exit, _, error) = Run("preview", Circle, "--model", Circle, "--out", png);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains($"--model {Circle}: is a Png image; expected a model.zip file", error);
        (exit, _, error) = Run("preview", Path.GetDirectoryName(Circle)!, "--out", png);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("is a folder; expected an image file", error);
        (exit, _, error) = Run("inspect", "--model", Circle);
        Assert.Equal(ExitCodes.BadArguments, exit);
        Assert.Contains("is a Png image; expected an .onnx or .tflite network, or a model.zip", error);
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void AMissingOrCorruptImageNamesTheFileAndKeepsTheExistingOutput()
    {
        string png = Path.Combine(_dir, "keep.png");
        // An earlier preview: a PNG, the kind of file preview may replace, and must not when it fails.
        File.Copy(Circle, png);
        byte[] kept = File.ReadAllBytes(png);
        (int exit, _, string error) = Run("preview", Path.Combine(_dir, "absent.jpg"), "--out", png);
        Assert.Equal(2, exit);
        Assert.Contains("absent.jpg", error);

        string corrupt = Path.Combine(_dir, "corrupt.png");
        File.WriteAllBytes(corrupt, [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0]);
        (exit, _, error) = Run("preview", corrupt, "--out", png);
        Assert.Equal(3, exit);
        Assert.Contains("corrupt.png", error);
        Assert.Equal(kept, File.ReadAllBytes(png));
    }
}
