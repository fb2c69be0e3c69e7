using System.CommandLine;
using Pipeline.Imaging;
using Pipeline.Imaging.Png;
using Pipeline.Imaging.Processing;
using Pipeline.Persistence;

namespace Trainer.Commands;

/// <summary><c>preview</c>: writes as a PNG exactly what a model sees of an image (or the full decoded image with --raw).</summary>
internal static class PreviewCommand
{
    public static Command Create()
    {
        var command = new Command("preview", "Write what the model sees of an image (resize, crop/pad, orientation) as a PNG.");
        var image = new Argument<string>("image") { Description = "The image file (JPEG, PNG, BMP, GIF, WebP)." }.NotBlank("an image file");
        var output = new Option<string>("--out") { Description = "The PNG file to write (.png; an existing file is replaced only if it is a PNG and not the input image).", Required = true }.NotBlank("the .png file to write");
        var size = new Option<int>("--size") { Description = "Output width and height in pixels.", DefaultValueFactory = _ => 224 };
        var mode = new Option<ResizeMode>("--mode") { Description = "How the image is brought to size.", DefaultValueFactory = _ => ResizeMode.IsoCrop };
        var anchor = new Option<CropAnchor>("--anchor") { Description = "Which part is kept (IsoCrop) or where the picture sits (IsoPad).", DefaultValueFactory = _ => CropAnchor.Center };
        var raw = new Option<bool>("--raw") { Description = "Write the full decoded image (orientation applied) instead of the model's view." };
        var model = new Option<string?>("--model") { Description = "A model.zip: show the image as that model prepares it (its input size, resize, anchor and filter), instead of --size, --mode and --anchor." }.NotBlank("a model.zip file, or leave --model out");
        foreach (Option option in new Option[] { output, size, mode, anchor, model, raw }) command.Options.Add(option);
        command.Arguments.Add(image);
        CommandKit.SetAction(command, (writer, parse, _) =>
        {
            string source = parse.GetValue(image)!;
            InputFiles.RequireNotFolder("image", source, "an image file (JPEG, PNG, BMP, GIF or WebP)");
            if (!File.Exists(source)) throw new FileNotFoundException($"{source}: no such image file.", source);
            string target = OutputFiles.RequirePng(parse.GetValue(output)!, Path.GetFileNameWithoutExtension(source) + ".png", ("the image", source));
            ImagePreprocessing preprocessing;
            if (parse.GetValue(model) is { } modelFile)
            {
                foreach (Option option in new Option[] { size, mode, anchor })
                    if (parse.GetResult(option) is { Implicit: false })
                        throw new ArgumentException($"{option.Name} does not apply with --model, which shows the image as the model prepares it.");
                preprocessing = ModelPreprocessing(InputFiles.RequireModelZip(modelFile));
            }
            else
            {
                int side = parse.GetValue(size);
                if (side < 1 || side > ImagePreprocessing.MaxSide) throw new ArgumentException($"--size {side}: between 1 and {ImagePreprocessing.MaxSide}.");
                preprocessing = new ImagePreprocessing { Width = side, Height = side, Mode = parse.GetValue(mode), Anchor = parse.GetValue(anchor) };
            }
            Image decoded = ImageDecoder.Decode(source);
            Image view = parse.GetValue(raw) ? decoded : preprocessing.Render(decoded);
            // Written beside the target and renamed, so a failure never leaves a half-written file under --out.
            string temp = target + ".tmp-" + Environment.ProcessId;
            try
            {
                using (var stream = File.Create(temp)) PngEncoder.Encode(view, stream);
                File.Move(temp, target, overwrite: true);
            }
            finally
            {
                if (File.Exists(temp)) File.Delete(temp);
            }
            writer.Write($"{source} ({decoded.Width}x{decoded.Height}) -> {target} ({view.Width}x{view.Height})",
                new { image = source, output = target, sourceWidth = decoded.Width, sourceHeight = decoded.Height, width = view.Width, height = view.Height });
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The preprocessing a model.zip's manifest records, read without loading its backbone.</summary>
    private static ImagePreprocessing ModelPreprocessing(string file)
    {
        ModelPackage package = ModelPackage.Load(file);
        if (package.Preprocessing is not { } json)
            throw new InvalidModelPackageException("the manifest has no 'preprocessing': this package holds no classifier", file, "manifest.json");
        try
        {
            return ImagePreprocessing.FromJson(json.GetRawText());
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException)
        {
            throw new InvalidModelPackageException($"its preprocessing cannot be read ({e.Message})", file, "manifest.json", inner: e);
        }
    }
}
