using Pipeline.Imaging.Processing;
using Pipeline.Persistence;

namespace Pipeline.Featurizers.Backbones;

/// <summary>
/// Named pretrained backbones that download on first use. <see cref="Default"/> holds the built-in list (classification
/// backbones of the ONNX model zoo, and the TFLite MobileNetV2 from Coral's test data); applications and tests may build
/// their own registry from any entries.
/// </summary>
public sealed class BackboneRegistry
{
    private const string OnnxZoo = "https://github.com/onnx/models/raw/main/validated/vision/classification/";
    private const string OnnxZooSource = "ONNX model zoo (github.com/onnx/models), validated/vision/classification";
    private const string OnnxZooLicense = "Apache-2.0";

    private readonly Dictionary<string, BackboneEntry> _byName = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>A registry of <paramref name="entries"/>; names must be unique ignoring case, and every field valid.</summary>
    public BackboneRegistry(IEnumerable<BackboneEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var list = new List<BackboneEntry>();
        foreach (BackboneEntry entry in entries)
        {
            Validate(entry);
            if (!_byName.TryAdd(entry.Name, entry)) throw new ArgumentException($"Backbone '{entry.Name}' is registered twice.", nameof(entries));
            list.Add(entry);
        }
        Entries = list;
    }

    /// <summary>The built-in registry.</summary>
    public static BackboneRegistry Default { get; } = new(BuiltIn());

    /// <summary>Every entry, in registration order.</summary>
    public IReadOnlyList<BackboneEntry> Entries { get; }

    /// <summary>The entry named <paramref name="name"/> (ignoring case), or null.</summary>
    public BackboneEntry? Find(string name) => _byName.GetValueOrDefault(name);

    private static void Validate(BackboneEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (string.IsNullOrWhiteSpace(entry.Name) || entry.Name.IndexOfAny(['/', '\\']) >= 0)
            throw new ArgumentException($"Backbone name '{entry.Name}' must be non-empty and contain no path separator.", nameof(entry));
        if (!entry.Url.IsAbsoluteUri || (entry.Url.Scheme != Uri.UriSchemeHttps && entry.Url.Scheme != Uri.UriSchemeHttp))
            throw new ArgumentException($"Backbone '{entry.Name}': the URL must be absolute http(s).", nameof(entry));
        if (Hashes.CheckSha256(entry.Sha256) is { } problem) throw new ArgumentException($"Backbone '{entry.Name}': {problem}.", nameof(entry));
        if (entry.Size <= 0) throw new ArgumentException($"Backbone '{entry.Name}': the size must be positive.", nameof(entry));
        string file = entry.FileName;
        if (file.Length == 0 || file.StartsWith('.') || file.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
            throw new ArgumentException($"Backbone '{entry.Name}': the URL must end in a plain file name.", nameof(entry));
        try
        {
            ArgumentNullException.ThrowIfNull(entry.Preprocessing);
            entry.Preprocessing.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Backbone '{entry.Name}': preprocessing {e.Message}", nameof(entry), e);
        }
    }

    // Sizes and SHA-256 are those of the files as published (the Git LFS pointers of the ONNX zoo; for the TFLite
    // model, the file itself). Preprocessing is each model card's.
    private static IEnumerable<BackboneEntry> BuiltIn()
    {
        yield return Zoo("mobilenetv2-12", "mobilenet/model/mobilenetv2-12.onnx", 13964571, "c0c3f76d93fa3fd6580652a45618618a220fced18babf65774ed169de0432ad5", 69.48);
        yield return Zoo("mobilenetv2-7", "mobilenet/model/mobilenetv2-7.onnx", 14246826, "c1c513582d56afceff8516c73804e484c81c6a830712ab6d682253f4a3cd042f", 70.94);
        yield return Zoo("mobilenetv2-12-int8", "mobilenet/model/mobilenetv2-12-int8.onnx", 3655033, "cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f", 68.30);
        yield return Zoo("resnet18-v2-7", "resnet/model/resnet18-v2-7.onnx", 46806737, "3b4d048057854022232aa20bf68262e31718ab7119a17f920b8a2dc1433f824b", 69.70);
        yield return Zoo("resnet50-v2-7", "resnet/model/resnet50-v2-7.onnx", 102442452, "79102261eb6e5fd7af5d27f41316293e388c5cb691e5d25bfb035c4f64fefe31", 75.81);
        yield return Zoo("resnet50-v1-12", "resnet/model/resnet50-v1-12.onnx", 102576593, "3f03fdef724b22947eed826f1eef1dc5c34151bb4c37d634f1db89dfa2dd1526", 74.97);
        yield return Zoo("squeezenet1.1-7", "squeezenet/model/squeezenet1.1-7.onnx", 4956208, "1eeff551a67ae8d565ca33b572fc4b66e3ef357b0eb2863bb9ff47a918cc4088", 56.34);
        yield return Zoo("efficientnet-lite4-11", "efficientnet-lite4/model/efficientnet-lite4-11.onnx", 51946641, "d111689907c06eea7c82e4833ddef758da6453b9d4cf60b7e99ca05c7cbd9c12", 80.4) with
        {
            // Card: float32[1,224,224,3] RGB, (pixel − 127) / 128, resized by 1/0.875 and center-cropped.
            Preprocessing = new ImagePreprocessing
            {
                Layout = TensorLayout.Hwc,
                Normalization = PixelNormalization.FromOffsetScale(127f, 1f / 128f),
            },
            License = "MIT (model card)",
        };
        yield return Zoo("inception-v1-12", "inception_and_googlenet/inception_v1/model/inception-v1-12.onnx", 28021958, "814b31a6316873bd03d2d808415ce1f40a7bf48ad88eab5ecc3cdc8dc6cf38ec", 67.23) with
        {
            // The card gives no preprocessing; the zoo's GoogLeNet card (the same Caffe lineage) subtracts the means
            // R 123.68, G 116.779, B 103.939 from 0..255 pixels and feeds them in BGR order, NCHW.
            Preprocessing = new ImagePreprocessing
            {
                Channels = ChannelOrder.Bgr,
                Normalization = new PixelNormalization { Offset = new ChannelValues(123.68f, 116.779f, 103.939f) },
            },
            License = "MIT (model card)",
            Notes = "The model card does not state the preprocessing; this entry assumes the GoogLeNet card's Caffe-style BGR mean subtraction.",
        };
        yield return new BackboneEntry
        {
            Name = "mobilenet_v2_1.0_224_quant",
            Url = new Uri("https://github.com/google-coral/test_data/raw/master/mobilenet_v2_1.0_224_quant.tflite"),
            Size = 3610798,
            Sha256 = "7aad0c74c5e3c06e5eb3c827e13304fdd68a83da6087d92ee169c24ff9fd4776",
            Format = BackboneFormat.Tflite,
            // The model's own input quantization maps the raw 0..255 samples to [-1, 1].
            Preprocessing = new ImagePreprocessing { Layout = TensorLayout.Hwc, ElementType = TensorElementType.UInt8, Normalization = PixelNormalization.Raw },
            TapHint = "MobilenetV2/Conv_1/Relu6",
            License = "Apache-2.0",
            Source = "TensorFlow hosted models (mobilenet_v2_1.0_224_quant), as published in Coral's test_data (github.com/google-coral/test_data)",
            Notes = "uint8 weights and activations; the model's input quantization maps 0..255 to [-1, 1].",
        };
    }

    private static BackboneEntry Zoo(string name, string path, long size, string sha256, double top1) => new()
    {
        Name = name,
        Url = new Uri(OnnxZoo + path),
        Size = size,
        Sha256 = sha256,
        Format = BackboneFormat.Onnx,
        // Cards: RGB NCHW, resized to 256 and center-cropped to 224, torchvision's ImageNet mean and std.
        Preprocessing = new ImagePreprocessing(),
        License = OnnxZooLicense,
        Source = OnnxZooSource,
        ImageNetTop1 = top1,
    };
}
