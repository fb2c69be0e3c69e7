namespace Pipeline.Featurizers.Backbones;

/// <summary>The file format of a backbone model.</summary>
public enum BackboneFormat
{
    /// <summary>An ONNX protobuf (<c>.onnx</c>).</summary>
    Onnx,

    /// <summary>A TensorFlow Lite flatbuffer (<c>.tflite</c>, file identifier <c>TFL3</c> at byte 4).</summary>
    Tflite,
}

/// <summary>Recognises a backbone file's format.</summary>
public static class BackboneFormats
{
    /// <summary>
    /// The format of the file at <paramref name="path"/>: TFLite from its flatbuffer identifier, ONNX from the
    /// <c>.onnx</c> extension or, failing that, from a protobuf first field (<c>ir_version</c>, field 1 varint: byte 0x08).
    /// </summary>
    /// <exception cref="BackboneUnavailableException">The file is neither (a zip archive, such as a model.zip, is named as one).</exception>
    public static BackboneFormat Detect(string path)
    {
        if (Files.SpecialFiles.IsEmptyOrSpecial(path)) throw new BackboneUnavailableException(path, $"'{path}': {Files.SpecialFiles.Reason}");
        Span<byte> head = stackalloc byte[8];
        int read;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, bufferSize: 1))
            read = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        BackboneFormat? format = Detect(head[..read], Path.GetExtension(path));
        if (format is null && Persistence.Zip.ZipLayout.StartsWithLocalHeader(head[..read]))
            throw new BackboneUnavailableException(path,
                $"'{path}' is a zip archive, not a network: a backbone is an .onnx or .tflite file (a trained model.zip is retrained, with the backbone it names inside)");
        return format ?? throw new BackboneUnavailableException(path,
            $"'{path}' is neither a TFLite model (no 'TFL3' identifier at byte 4) nor an ONNX model (no .onnx extension, no protobuf header)");
    }

    /// <summary>The format from the first bytes of a file and its extension, or null when neither matches.</summary>
    public static BackboneFormat? Detect(ReadOnlySpan<byte> head, string? extension)
    {
        if (head.Length >= 8 && head.Slice(4, 4).SequenceEqual("TFL3"u8)) return BackboneFormat.Tflite;
        if (string.Equals(extension, ".onnx", StringComparison.OrdinalIgnoreCase)) return BackboneFormat.Onnx;
        if (string.Equals(extension, ".tflite", StringComparison.OrdinalIgnoreCase)) return null;
        if (head.Length >= 2 && head[0] == 0x08) return BackboneFormat.Onnx;
        return null;
    }
}
