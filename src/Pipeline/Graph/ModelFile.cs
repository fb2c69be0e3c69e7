using Pipeline.Graph.Onnx;
using Pipeline.Graph.Tflite;

namespace Pipeline.Graph;

/// <summary>Recognizes a model file's format from its bytes (not its extension) and runs the matching importer.</summary>
internal static class ModelFile
{
    /// <summary>Imports <paramref name="bytes"/>: TFLite when the flatbuffer identifier "TFL3" sits at offset 4, else ONNX.</summary>
    public static GraphModel Read(ReadOnlySpan<byte> bytes, string? file = null, NetworkOptions? options = null)
        => TfliteModelReader.IsTflite(bytes) ? TfliteModelReader.Read(bytes.ToArray(), file, ImportOptions(options)) : ReadOnnx(bytes, file);

    /// <summary>The bytes of the model file at <paramref name="path"/>; an empty file, a pipe or a device is refused unopened.</summary>
    /// <exception cref="InvalidModelException">The file is empty or special, named by its file name.</exception>
    public static byte[] ReadAllBytes(string path)
        => Files.SpecialFiles.IsEmptyOrSpecial(path)
            ? throw new InvalidModelException(Files.SpecialFiles.Reason, Path.GetFileName(path))
            : File.ReadAllBytes(path);

    /// <summary>Imports <paramref name="bytes"/> without copying a TFLite file.</summary>
    public static GraphModel Read(byte[] bytes, string? file = null, NetworkOptions? options = null)
        => TfliteModelReader.IsTflite(bytes) ? TfliteModelReader.Read(bytes, file, ImportOptions(options)) : ReadOnnx(bytes, file);

    /// <summary>
    /// The bytes decide the format (an ONNX file named .tflite still loads), but a damaged .tflite file (its identifier
    /// gone) would otherwise be reported as "not a valid ONNX file", which sends the user looking for the wrong problem.
    /// </summary>
    private static GraphModel ReadOnnx(ReadOnlySpan<byte> bytes, string? file)
    {
        try
        {
            return OnnxModelReader.Read(bytes, file);
        }
        catch (InvalidModelException e) when (file is not null && file.EndsWith(".tflite", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidModelException("not a TFLite model: the flatbuffer identifier 'TFL3' is not at byte 4 (the file is damaged), nor an ONNX one", file, inner: e);
        }
    }

    private static TfliteImportOptions ImportOptions(NetworkOptions? options)
        => new() { SimulateQuantization = options?.SimulateQuantization ?? false };
}
