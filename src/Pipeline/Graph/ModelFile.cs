using Pipeline.Graph.Onnx;
using Pipeline.Graph.Tflite;

namespace Pipeline.Graph;

/// <summary>Recognizes a model file's format from its bytes (not its extension) and runs the matching importer.</summary>
internal static class ModelFile
{
    /// <summary>Imports <paramref name="bytes"/>: TFLite when the flatbuffer identifier "TFL3" sits at offset 4, else ONNX.</summary>
    public static GraphModel Read(ReadOnlySpan<byte> bytes, string? file = null, NetworkOptions? options = null)
        => TfliteModelReader.IsTflite(bytes) ? TfliteModelReader.Read(bytes.ToArray(), file, ImportOptions(options)) : OnnxModelReader.Read(bytes, file);

    /// <summary>Imports <paramref name="bytes"/> without copying a TFLite file.</summary>
    public static GraphModel Read(byte[] bytes, string? file = null, NetworkOptions? options = null)
        => TfliteModelReader.IsTflite(bytes) ? TfliteModelReader.Read(bytes, file, ImportOptions(options)) : OnnxModelReader.Read(bytes, file);

    private static TfliteImportOptions ImportOptions(NetworkOptions? options)
        => new() { SimulateQuantization = options?.SimulateQuantization ?? false };
}
